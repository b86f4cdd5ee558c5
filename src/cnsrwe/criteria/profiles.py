"""Response criteria as data: the frozen :class:`CriteriaProfile` and the shipped catalogue.

Every threshold of RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228-247), its
intracranial/extracranial split (as applied by the 2022 six-hospital alectinib study,
Zou et al., BMC Med 2022;20:12), CNS-modified RECIST (ASCEND-7 / lorlatinib style) and
RANO-BM (Lin et al., Lancet Oncol 2015;16:e270-e278) is a field, so a statistical analysis
plan can state, diff and override them. Sizes are integer tenths of a millimetre and
percentages are integers, so every threshold test is exact integer arithmetic.

Examples
--------
>>> from cnsrwe.criteria import get_profile
>>> p = get_profile("recist11")
>>> p.pr_decrease_pct, p.pd_increase_pct, p.pd_absolute_tenths
(30, 20, 50)
>>> get_profile("rano_bm").pd_absolute_scope
'any_lesion'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from cnsrwe.criteria.codes import COMPARTMENTS
from cnsrwe.errors import CriteriaError
from cnsrwe.io.schema import CNS_LOCATIONS, LOCATION

TargetSelection = Literal["given", "auto"]
PdAbsoluteScope = Literal["sum", "any_lesion"]
NodeOrganGrouping = Literal["one_organ", "by_organ_text"]
MissingClinical = Literal["ne", "ignore"]

_CRITERIA_FAMILIES = ("recist11", "cns_mrecist", "rano_bm")


@dataclass(frozen=True)
class CriteriaProfile:
    """One set of response criteria; every threshold is a field.

    Attributes
    ----------
    name : registry name (lower snake case), written into the ``profile`` output column.
    title : one-line human name.
    criteria : criteria family (``recist11``, ``cns_mrecist``, ``rano_bm``), the vocabulary
        of ``timepoint_responses.criteria``.
    scope : compartments assessed, each getting its own target list and response:
        ``overall`` (whole body), ``intracranial`` (locations in ``cns_locations``),
        ``extracranial`` (all other locations).
    target_selection : ``given`` uses the radiologist's ``lesion_role == "target"`` at the
        baseline scan; ``auto`` re-selects targets within the compartment by descending
        diameter, ties by ``lesion_id`` (response-criteria spec §1.3 [P]).
    min_measurable_tenths : non-nodal measurability threshold, RECIST 1.1 §3.1.1: 10 mm.
    cns_min_measurable_tenths : the same for CNS lesions (a setting: 10 mm by RECIST and
        RANO-BM; some trial protocols use 5 mm).
    node_measurable_tenths : short-axis threshold for a measurable node, 15 mm (§3.1.1).
    node_normal_tenths : a node below this short axis is normal, 10 mm (§3.1.1, §4.3.2).
    max_targets, max_targets_per_organ : RECIST 1.1 §3.3.1: 5 in total, 2 per organ
        (``None`` = no per-organ cap). Used for ``overall`` and ``extracranial``.
    cns_max_targets, cns_max_targets_per_organ : caps of the intracranial target list
        (RANO-BM: 5, no per-organ cap; the brain counts as one organ otherwise).
    pr_decrease_pct : PR when the sum falls by at least this percentage of baseline (30).
    pd_increase_pct : PD needs at least this percentage increase over the nadir (20).
    pd_absolute_tenths : ...and at least this absolute increase (50 = 5 mm).
    pd_absolute_scope : ``sum`` (RECIST 1.1 §4.3.1: the sum rises by 5 mm) or
        ``any_lesion`` (RANO-BM: at least one target lesion rises by 5 mm, compared with
        its own diameter at the timepoint that set the nadir).
    too_small_tenths : value used for a target "too small to measure", 5 mm (§4.3.2).
    baseline_window_days : baseline = latest scan of each lesion within this many days on or
        before the line's reference date (RECIST 1.1 §3.2: no more than 4 weeks = 28 days).
    cns_locations : lesion locations forming the intracranial compartment.
    non_measurable_locations : locations never measurable (leptomeningeal disease, §3.1.2).
    node_locations : locations measured by short axis.
    node_organ_grouping : all nodes form one organ, or nodes are grouped by ``organ`` text.
    reappearance_after_cr_is_pd : after an overall CR at the previous timepoint, any
        reappearing lesion is PD (EORTC RECIST FAQ "Does a new lesion always result in PD?").
    uses_corticosteroids : CR needs dose <= ``physiologic_dex_mg``; PR/SD need a dose not above
        baseline; a rise without PD gives NE (RANO-BM, Lin 2015 Table; spec §3.4 [P]).
    uses_clinical_status : clinical deterioration (``symptom_change == "deterioration"``) is PD;
        CR/PR/SD need the patient clinically stable or improved (RANO-BM).
    physiologic_dex_mg : largest dexamethasone-equivalent dose still counted as "no
        corticosteroids" (physiological replacement), default 0.
    clinical_window_days : a clinical visit is matched to a scan when within this many days.
    missing_clinical : when steroid/clinical data are needed but missing: ``ne`` makes the
        timepoint NE (strict reading: all conditions must hold), ``ignore`` skips the gate.
    """

    name: str
    title: str
    criteria: str
    scope: tuple[str, ...]
    target_selection: TargetSelection = "given"
    min_measurable_tenths: int = 100
    cns_min_measurable_tenths: int = 100
    node_measurable_tenths: int = 150
    node_normal_tenths: int = 100
    max_targets: int = 5
    max_targets_per_organ: int | None = 2
    cns_max_targets: int = 5
    cns_max_targets_per_organ: int | None = None
    pr_decrease_pct: int = 30
    pd_increase_pct: int = 20
    pd_absolute_tenths: int = 50
    pd_absolute_scope: PdAbsoluteScope = "sum"
    too_small_tenths: int = 50
    baseline_window_days: int = 28
    cns_locations: tuple[str, ...] = CNS_LOCATIONS
    non_measurable_locations: tuple[str, ...] = ("leptomeninges",)
    node_locations: tuple[str, ...] = ("lymph_node",)
    node_organ_grouping: NodeOrganGrouping = "one_organ"
    reappearance_after_cr_is_pd: bool = True
    uses_corticosteroids: bool = False
    uses_clinical_status: bool = False
    physiologic_dex_mg: float = 0.0
    clinical_window_days: int = 14
    missing_clinical: MissingClinical = "ne"
    references: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _validate(self)

    def with_options(self, **changes: Any) -> CriteriaProfile:
        """Return a copy with some fields changed (validated), e.g. a 5 mm CNS threshold."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            msg = f"`{unknown[0]}` is not a CriteriaProfile field, got {unknown!r}"
            raise CriteriaError(msg)
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists) that :meth:`from_dict` reads back."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CriteriaProfile:
        """Build a profile from a study file's mapping; unknown keys are an error.

        A mapping may name a shipped profile under ``base`` and override some fields.
        """
        if not isinstance(data, dict):
            msg = f"a criteria profile must be a mapping, got {type(data).__name__}"
            raise CriteriaError(msg)
        data = dict(data)
        base_name = data.pop("base", None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"`{unknown[0]}` is not a CriteriaProfile field, got keys {sorted(data)!r}"
            raise CriteriaError(msg)
        conv = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        if base_name is not None:
            return get_profile(str(base_name)).with_options(**conv)
        missing = sorted({"name", "title", "criteria", "scope"} - set(conv))
        if missing:
            msg = f"`{missing[0]}` is required in a criteria profile without `base`, got keys"
            msg += f" {sorted(data)!r}"
            raise CriteriaError(msg)
        return cls(**conv)

    def describe(self) -> str:
        """Readable multi-line description of every rule of the profile."""

        def mm(t: int) -> str:
            return f"{t / 10:g} mm"

        per_organ = (
            f"at most {self.max_targets_per_organ} per organ"
            if self.max_targets_per_organ is not None
            else "no per-organ cap"
        )
        cns_cap = (
            f"at most {self.cns_max_targets_per_organ} per organ"
            if self.cns_max_targets_per_organ is not None
            else "no per-organ cap"
        )
        pd_abs = (
            "the sum rises by at least" if self.pd_absolute_scope == "sum"
            else "at least one target lesion rises by at least"
        )
        lines = [
            f"{self.name}: {self.title} (criteria family {self.criteria})",
            f"  compartments: {', '.join(self.scope)}",
            f"  targets: {self.target_selection} selection; up to {self.max_targets} ({per_organ});"
            f" intracranial list up to {self.cns_max_targets} ({cns_cap})",
            f"  measurable: longest diameter >= {mm(self.min_measurable_tenths)}"
            f" (CNS >= {mm(self.cns_min_measurable_tenths)}); node short axis >="
            f" {mm(self.node_measurable_tenths)}; node normal < {mm(self.node_normal_tenths)}",
            f"  never measurable: {', '.join(self.non_measurable_locations) or 'none'}",
            f"  CNS locations: {', '.join(self.cns_locations)}",
            f"  baseline: latest scan within {self.baseline_window_days} days on or before the"
            " reference date",
            f"  too small to measure = {mm(self.too_small_tenths)}; disappeared = 0 mm",
            f"  PR: sum >= {self.pr_decrease_pct}% below baseline",
            f"  PD: sum >= {self.pd_increase_pct}% above nadir and {pd_abs}"
            f" {mm(self.pd_absolute_tenths)}",
            f"  reappearance after CR is PD: {self.reappearance_after_cr_is_pd}",
        ]
        if self.uses_corticosteroids:
            lines.append(
                f"  corticosteroids: CR needs <= {self.physiologic_dex_mg:g} mg dexamethasone-eq;"
                " PR/SD need a dose not above baseline; a rise without PD gives NE"
            )
        if self.uses_clinical_status:
            lines.append(
                "  clinical status: deterioration is PD; CR/PR/SD need stable or improved;"
                f" visits matched within {self.clinical_window_days} days;"
                f" missing clinical data -> {self.missing_clinical}"
            )
        lines.extend(f"  ref: {r}" for r in self.references)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def _validate(p: CriteriaProfile) -> None:
    """Check every field; raise CriteriaError in the house grammar."""

    def fail(name: str, rule: str, value: object) -> None:
        msg = f"`{name}` {rule}, got {value!r}"
        raise CriteriaError(msg)

    if not isinstance(p.name, str) or not p.name.isidentifier():
        fail("name", "must be a lower snake case identifier", p.name)
    if p.criteria not in _CRITERIA_FAMILIES:
        fail("criteria", f"must be one of {_CRITERIA_FAMILIES!r}", p.criteria)
    if not p.scope or any(c not in COMPARTMENTS for c in p.scope) or len(set(p.scope)) != len(
        p.scope
    ):
        fail("scope", f"must be distinct values from {COMPARTMENTS!r}", p.scope)
    for name in (
        "min_measurable_tenths", "cns_min_measurable_tenths", "node_measurable_tenths",
        "node_normal_tenths", "too_small_tenths", "pd_absolute_tenths",
    ):  # fmt: skip
        v = getattr(p, name)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 5000:
            fail(name, "must be an integer number of tenths of a mm in [0, 5000]", v)
    for name in ("max_targets", "cns_max_targets"):
        v = getattr(p, name)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 50:
            fail(name, "must be an integer in [1, 50]", v)
    for name in ("max_targets_per_organ", "cns_max_targets_per_organ"):
        v = getattr(p, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            fail(name, "must be a positive integer or None", v)
    if not isinstance(p.pr_decrease_pct, int) or not 0 < p.pr_decrease_pct < 100:
        fail("pr_decrease_pct", "must be an integer in (0, 100)", p.pr_decrease_pct)
    if not isinstance(p.pd_increase_pct, int) or not 0 <= p.pd_increase_pct <= 1000:
        fail("pd_increase_pct", "must be an integer in [0, 1000]", p.pd_increase_pct)
    if p.node_normal_tenths > p.node_measurable_tenths:
        fail("node_normal_tenths", "must not exceed `node_measurable_tenths`",
             p.node_normal_tenths)
    if not isinstance(p.baseline_window_days, int) or not 0 <= p.baseline_window_days <= 366:
        fail("baseline_window_days", "must be an integer in [0, 366]", p.baseline_window_days)
    if not isinstance(p.clinical_window_days, int) or not 0 <= p.clinical_window_days <= 366:
        fail("clinical_window_days", "must be an integer in [0, 366]", p.clinical_window_days)
    for name, allowed in (
        ("target_selection", ("given", "auto")),
        ("pd_absolute_scope", ("sum", "any_lesion")),
        ("node_organ_grouping", ("one_organ", "by_organ_text")),
        ("missing_clinical", ("ne", "ignore")),
    ):
        if getattr(p, name) not in allowed:
            fail(name, f"must be one of {allowed!r}", getattr(p, name))
    for name in ("cns_locations", "non_measurable_locations", "node_locations"):
        v = getattr(p, name)
        if not isinstance(v, tuple) or any(x not in LOCATION for x in v):
            fail(name, f"must be a tuple of locations from {LOCATION!r}", v)
    if not isinstance(p.physiologic_dex_mg, int | float) or p.physiologic_dex_mg < 0:
        fail("physiologic_dex_mg", "must be a number >= 0", p.physiologic_dex_mg)


_RECIST_REF = "Eisenhauer EA et al. Eur J Cancer 2009;45:228-247 (RECIST 1.1)"
_RANO_REF = "Lin NU et al. Lancet Oncol 2015;16:e270-e278 (RANO-BM)"

_CATALOGUE: dict[str, CriteriaProfile] = {
    p.name: p
    for p in (
        CriteriaProfile(
            name="recist11", title="RECIST 1.1, whole body", criteria="recist11",
            scope=("overall",), target_selection="given", references=(_RECIST_REF,),
        ),
        CriteriaProfile(
            name="recist11_intracranial",
            title="RECIST 1.1 applied to the intracranial compartment only",
            criteria="recist11", scope=("intracranial",), target_selection="auto",
            references=(_RECIST_REF, "Zou Z et al. BMC Med 2022;20:12"),
        ),
        CriteriaProfile(
            name="recist11_extracranial",
            title="RECIST 1.1 applied to the extracranial compartment only",
            criteria="recist11", scope=("extracranial",), target_selection="auto",
            references=(_RECIST_REF, "Zou Z et al. BMC Med 2022;20:12"),
        ),
        CriteriaProfile(
            name="cns_mrecist",
            title="CNS-modified RECIST 1.1: separate CNS target list (up to 5) and body list",
            criteria="cns_mrecist", scope=("intracranial", "extracranial"),
            target_selection="auto", cns_max_targets=5, cns_max_targets_per_organ=None,
            references=(_RECIST_REF, "Chow LQM et al. Clin Cancer Res 2022;28:2506 (ASCEND-7)",
                        "Besse B et al. 2021 (lorlatinib, modified RECIST 1.1)"),
        ),
        CriteriaProfile(
            name="rano_bm", title="RANO-BM, CNS compartment", criteria="rano_bm",
            scope=("intracranial",), target_selection="auto", cns_max_targets=5,
            cns_max_targets_per_organ=None, pd_absolute_scope="any_lesion",
            uses_corticosteroids=True, uses_clinical_status=True,
            references=(_RANO_REF,),
        ),
    )
}  # fmt: skip


def get_profile(name: str) -> CriteriaProfile:
    """Return the shipped profile called ``name`` (CriteriaError if unknown)."""
    try:
        return _CATALOGUE[name]
    except (KeyError, TypeError):
        msg = f"`name` must be one of {tuple(_CATALOGUE)!r}, got {name!r}"
        raise CriteriaError(msg) from None


def list_profiles() -> tuple[str, ...]:
    """Names of the shipped profiles."""
    return tuple(_CATALOGUE)
