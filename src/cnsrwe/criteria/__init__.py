"""Response criteria: profiles as data and timepoint responses from lesion rows."""

from cnsrwe.criteria.codes import NewLesion, NonTargetResponse, Response
from cnsrwe.criteria.given import combine_timepoints, timepoints_from_given
from cnsrwe.criteria.profiles import CriteriaProfile, get_profile, list_profiles
from cnsrwe.criteria.timepoint import TimepointResponses, derive_timepoint_responses

__all__ = [
    "CriteriaProfile",
    "NewLesion",
    "NonTargetResponse",
    "Response",
    "TimepointResponses",
    "combine_timepoints",
    "derive_timepoint_responses",
    "get_profile",
    "list_profiles",
    "timepoints_from_given",
]
