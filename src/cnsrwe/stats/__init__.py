"""Statistics layer proven against R (survival, cmprsk, coxphf, stats).

Every function returns a frozen result object whose numbers equal what R prints for the same
data (see ``tests/reference/``), and whose ``to_ard()`` gives the long analysis-results table the
report layer renders. Nothing here formats or draws.
"""

from __future__ import annotations

from cnsrwe.stats.ard import ARD_SCHEMA, ArdRow, ard_frame, concat_ard
from cnsrwe.stats.competing_risks import cumulative_incidence, fine_gray, gray_test
from cnsrwe.stats.contingency import bowker, chi_square, fisher_exact, mcnemar
from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cox_zph import cox_zph
from cnsrwe.stats.firth import firth_cox
from cnsrwe.stats.kaplan_meier import kaplan_meier, kaplan_meier_by, median_follow_up
from cnsrwe.stats.location import mann_whitney, t_test, wilcoxon_signed_rank
from cnsrwe.stats.logrank import logrank_test, p_adjust, pairwise_logrank
from cnsrwe.stats.propensity import balance_table, fit_propensity, iptw_cox, iptw_weights
from cnsrwe.stats.proportions import binomial_ci, binomial_test

__all__ = [
    "ARD_SCHEMA",
    "ArdRow",
    "ard_frame",
    "balance_table",
    "binomial_ci",
    "binomial_test",
    "bowker",
    "chi_square",
    "concat_ard",
    "cox_ph",
    "cox_zph",
    "cumulative_incidence",
    "fine_gray",
    "firth_cox",
    "fisher_exact",
    "fit_propensity",
    "gray_test",
    "iptw_cox",
    "iptw_weights",
    "kaplan_meier",
    "kaplan_meier_by",
    "logrank_test",
    "mann_whitney",
    "mcnemar",
    "median_follow_up",
    "p_adjust",
    "pairwise_logrank",
    "t_test",
    "wilcoxon_signed_rank",
]
