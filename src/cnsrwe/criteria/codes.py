"""Response codes shared by every criteria profile.

The strings are those of the study data format (``cnsrwe.io.schema.RESPONSE``) so that
derived and radiologist-given timepoint responses can be mixed in one table. ``NA`` is
used only for the non-target response of a compartment without non-target disease at
baseline (RECIST 1.1, Eisenhauer et al. 2009, Table 1 footnote: "non-target: not
applicable" is implied when no non-target lesion was recorded).
"""

from __future__ import annotations

from enum import StrEnum

from cnsrwe.io.schema import RESPONSE


class Response(StrEnum):
    """Overall / target timepoint response (RECIST 1.1 §4.3, RANO-BM Lin 2015 Table)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"


class NonTargetResponse(StrEnum):
    """Non-target timepoint response (RECIST 1.1 §4.3.3); ``NA`` = no non-target disease."""

    CR = "CR"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    NA = "NA"


class NewLesion(StrEnum):
    """New-lesion status at a timepoint (RECIST 1.1 §4.3.4)."""

    NO = "NO"
    YES = "YES"
    EQUIVOCAL = "EQUIVOCAL"


#: Compartments a profile can assess; the strings of the data format's ``compartment``.
COMPARTMENTS = ("overall", "intracranial", "extracranial")

assert tuple(r.value for r in Response) == RESPONSE  # the format and the enum agree
