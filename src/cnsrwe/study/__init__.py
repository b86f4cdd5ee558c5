"""Study as code: the declarative study file and the cohort / subgroup engine.

``load_study`` reads and validates a TOML study file (every problem reported with its
line); ``select_index_lines``, ``assign_cohorts``, ``baseline_facts``,
``evaluate_subgroups`` and ``patient_flow`` apply its rules to the data tables.
"""

from cnsrwe.study.cohorts import CohortAssignment, assign_cohorts, select_index_lines
from cnsrwe.study.facts import (
    baseline_facts,
    condition_expr,
    evaluate_eligibility,
    evaluate_subgroups,
)
from cnsrwe.study.flow import (
    StudyPopulation,
    derive_study_population,
    patient_flow,
    read_prior_line_progression,
)
from cnsrwe.study.load import (
    LoadedStudyFile,
    StudyFileError,
    StudyIssue,
    load_study,
    load_study_text,
)
from cnsrwe.study.model import (
    BaselineSpec,
    CohortRule,
    EligibilityRule,
    FactCondition,
    IndexRule,
    LineMatch,
    PriorLinesCondition,
    SubgroupRule,
)
from cnsrwe.study.specs import AnalysisSpec, EndpointSpec, OutputSpec, StudyFile
from cnsrwe.study.template import starter_text, write_starter
from cnsrwe.study.vocabulary import FACTS, METHODS

__all__ = [
    "FACTS",
    "METHODS",
    "AnalysisSpec",
    "BaselineSpec",
    "CohortAssignment",
    "CohortRule",
    "EligibilityRule",
    "EndpointSpec",
    "FactCondition",
    "IndexRule",
    "LineMatch",
    "LoadedStudyFile",
    "OutputSpec",
    "PriorLinesCondition",
    "StudyFile",
    "StudyFileError",
    "StudyIssue",
    "StudyPopulation",
    "SubgroupRule",
    "assign_cohorts",
    "baseline_facts",
    "condition_expr",
    "derive_study_population",
    "evaluate_eligibility",
    "evaluate_subgroups",
    "load_study",
    "load_study_text",
    "patient_flow",
    "read_prior_line_progression",
    "select_index_lines",
    "starter_text",
    "write_starter",
]
