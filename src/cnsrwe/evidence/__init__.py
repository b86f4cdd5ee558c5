"""Published CNS evidence: curated trial data, random-effects pooling, cohort comparison and
a consistency checker for published tables."""
