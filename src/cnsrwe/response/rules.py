"""Best-overall-response rules as frozen, printable objects, and the response vocabulary.

Every threshold of the best-overall-response (BOR) derivation is a field of :class:`BorRule`,
so a statistical analysis plan can print, review and diff the rule as data (house style,
convention 3; the pattern of admiralonco's ``response_sources.R`` event objects).

References
----------
Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
guideline (version 1.1). Eur J Cancer 2009;45:228-247, section 4.4 (best overall response,
Table 3 for confirmation) and section 4.5 (duration of response and of stable disease).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from cnsrwe.errors import CriteriaError

#: Timepoint response codes accepted as input. ``ND`` (assessment not done) is accepted and
#: ignored, like a row that was never recorded.
RESPONSE_CODES: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "ND")

#: Best-overall-response values produced (``MISSING``: no usable assessment).
BOR_CODES: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")

#: Responses counted as objective response (RECIST 1.1 section 4.4).
OBJECTIVE_RESPONSE: tuple[str, ...] = ("CR", "PR")

#: Responses counted as disease control (endpoints.md section 1: CR, PR, SD or
#: NON-CR/NON-PD, SD only when the minimum-duration rule is met, which the BOR already does).
DISEASE_CONTROL: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD")


@dataclass(frozen=True)
class BorRule:
    """How a best overall response is derived from a series of timepoint responses.

    Attributes
    ----------
    confirm : require confirmation of CR/PR (RECIST 1.1 section 4.4.1, needed for
        non-randomised studies with response as primary endpoint). Permitted values: bool.
    confirm_min_days : the confirming assessment must be at least this many days after the
        response (inclusive: exactly 28 days confirms). Permitted values: int >= 0.
    confirm_max_days : optional upper bound on the days between response and its confirming
        assessment (RECIST has none; some SAPs cap it). Permitted values: int >= 0 or None.
    max_ne_between : most NE assessments allowed between a response and its confirmation.
        Permitted values: int >= 0.
    max_sd_between : most SD assessments allowed between a PR and its confirmation
        (admiralonco ``accept_sd``). A CR is never confirmed across an SD. Permitted values:
        int >= 0.
    sd_min_days : SD (and NON-CR/NON-PD) counts only at an assessment at least this many
        days after the reference date (inclusive). Permitted values: int >= 0.
    truncate_after_pd : ignore assessments after the first PD. Permitted values: bool.
    first_cr_reliable : RECIST 1.1 Table 3 footnote for a CR followed by a PR. ``True``
        (admiralonco's behaviour): the CR was real, so it is unconfirmed and the later
        disease counts against it. ``False``: the CR was probably a PR with small residual
        disease; with ``confirm=True`` every CR later followed by a PR is relabelled PR
        (and a :class:`~cnsrwe.errors.DataQualityWarning` names the patients).
        Permitted values: bool.
    exclude_before_reference : drop assessments dated before the reference date
        (assessments on the reference date are kept, as ``ADT >= RANDDT`` in admiralonco).
        Permitted values: bool.
    exclude_after_next_therapy : drop assessments on or after the start of the next
        anticancer therapy, when that date is given. Permitted values: bool.

    Examples
    --------
    >>> BorRule(confirm=True).confirm_min_days
    28
    """

    confirm: bool = False
    confirm_min_days: int = 28
    max_ne_between: int = 1
    max_sd_between: int = 0
    sd_min_days: int = 42
    truncate_after_pd: bool = True
    confirm_max_days: int | None = None
    first_cr_reliable: bool = True
    exclude_before_reference: bool = True
    exclude_after_next_therapy: bool = True

    def __post_init__(self) -> None:
        for name in ("confirm_min_days", "max_ne_between", "max_sd_between", "sd_min_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                msg = f"`{name}` must be a whole number of days/assessments >= 0, got {value!r}"
                raise CriteriaError(msg)
        cmax = self.confirm_max_days
        if cmax is not None and (isinstance(cmax, bool) or not isinstance(cmax, int) or cmax < 0):
            msg = f"`confirm_max_days` must be None or a whole number >= 0, got {cmax!r}"
            raise CriteriaError(msg)
        if cmax is not None and cmax < self.confirm_min_days:
            msg = (
                f"`confirm_max_days` must be >= `confirm_min_days` ({self.confirm_min_days}),"
                f" got {cmax!r}"
            )
            raise CriteriaError(msg)
        for name in (
            "confirm",
            "truncate_after_pd",
            "first_cr_reliable",
            "exclude_before_reference",
            "exclude_after_next_therapy",
        ):
            value = getattr(self, name)
            if not isinstance(value, bool):
                msg = f"`{name}` must be True or False, got {value!r}"
                raise CriteriaError(msg)

    @property
    def name(self) -> str:
        """Short label: ``confirmed`` or ``unconfirmed`` BOR."""
        return "confirmed" if self.confirm else "unconfirmed"

    @property
    def description(self) -> str:
        """The rule in plain language, for analysis plans and audit pages."""
        parts: list[str] = []
        if self.confirm:
            gap = f"at least {self.confirm_min_days} days later"
            if self.confirm_max_days is not None:
                gap += f" and at most {self.confirm_max_days} days later"
            parts.append(
                f"Confirmed BOR: CR needs a CR {gap} with only CR/NE between "
                f"(at most {self.max_ne_between} NE); PR needs a CR or PR {gap} with "
                f"only CR/PR/NE/SD between (at most {self.max_ne_between} NE, at most "
                f"{self.max_sd_between} SD) and no PR after a CR; unconfirmed CR/PR count "
                "as SD when the SD rule is met."
            )
            if not self.first_cr_reliable:
                parts.append("A CR later followed by a PR is relabelled PR.")
        else:
            parts.append("Unconfirmed BOR: best of CR > PR > SD > NON-CR/NON-PD > PD > NE.")
        parts.append(
            f"SD and NON-CR/NON-PD count only at or after day {self.sd_min_days} from the "
            "reference date, otherwise NE; MISSING when no assessment."
        )
        dropped: list[str] = []
        if self.exclude_before_reference:
            dropped.append("before the reference date")
        if self.truncate_after_pd:
            dropped.append("after the first PD")
        if self.exclude_after_next_therapy:
            dropped.append("on or after the next anticancer therapy start")
        if dropped:
            parts.append("Assessments " + ", ".join(dropped) + " are ignored.")
        return " ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """Every field by name (for provenance columns and printing)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return f"BorRule[{self.name}]: {self.description}"


#: The RECIST 1.1 defaults: unconfirmed and confirmed BOR, 28-day confirmation, SD at day 42.
RECIST_BOR = BorRule(confirm=False)
RECIST_CONFIRMED_BOR = BorRule(confirm=True)
