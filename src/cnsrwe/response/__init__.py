"""Response engine: criteria profiles, timepoint responses, best overall response."""
