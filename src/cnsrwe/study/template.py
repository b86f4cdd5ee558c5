"""The commented starter study file that ``cnsrwe init`` writes.

The text is valid as written (a test loads it): a user edits values rather than starting
from a blank page. Keys and defaults are documented in ``docs/study-file.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from cnsrwe.errors import SchemaError

_TEMPLATE = '''\
# cnsrwe study file (format version 1). Every key is explained in docs/study-file.md.
# Validate it with:  cnsrwe check-study {filename}
format_version = 1

[study]
title = "{title}"
authors = ["First Author", "Second Author"]
data_cutoff = {cutoff}                 # administrative censoring date (YYYY-MM-DD, unquoted)
description = "Retrospective multicentre cohort of ALK-positive NSCLC with CNS metastases."

[data]
folder = "data"                       # tables (patients.csv, treatments.csv, ...) beside this file
# store = "study.cnsrwe"              # ...or a study store instead of a folder (give one)
# prior_line_progression = "data/prior_line_progression.csv"  # patient_id, line, progression_site

# The index treatment: day 0 is the start of this line.
[index]
occurrence = "first"                  # first | last | nth (then set n = 2, ...)
match = {{ agents_any = ["{agent}"] }}    # also: regimen_in, agent_class_in, end_reason_in
# start_from = 2017-01-01             # optional accrual window on the line's start date
# start_to = 2020-12-31

# Inclusion criteria over baseline facts; patients failing one are counted in the flow.
[[eligibility]]
name = "baseline_cns"
label = "No CNS metastases at baseline"
when = {{ fact = "any_cns", equals = true }}

# Cohorts: rules over the systemic lines before the index line.
[[cohorts]]
name = "tki_naive"
label = "ALK-TKI-naive"
[[cohorts.prior_lines]]
quantifier = "none"                   # none | any | all | first | last
match = {{ agent_class_in = ["alk_tki"] }}

[[cohorts]]
name = "tki_pretreated"
label = "Previously treated with an ALK TKI"
[[cohorts.prior_lines]]
quantifier = "any"
match = {{ agent_class_in = ["alk_tki"] }}

[cohort_policy]
on_multiple = "unassigned"            # unassigned | first_listed

[baseline]
imaging_window_days = 28              # baseline scan: latest within 28 days before day 0
clinical_window_days = 14
measurable_cns_min_mm = 10.0

# Subgroups: conditions over baseline facts (fact + equals / in / min / max / is_missing,
# combined with all_of / any_of / not).
[[subgroups]]
name = "symptomatic"
label = "Symptomatic CNS metastases"
when = {{ fact = "cns_symptoms", equals = true }}

[[subgroups]]
name = "asymptomatic"
label = "Asymptomatic CNS metastases"
when = {{ fact = "cns_symptoms", equals = false }}

[[subgroups]]
name = "bm_4_plus"
label = "4 or more brain metastases"
when = {{ fact = "n_brain_mets", min = 4 }}
within = {{ fact = "leptomeningeal", equals = false }}

[response]
profiles = ["recist11_intracranial", "recist11_extracranial", "recist11"]

[response.bor]                        # fields of cnsrwe.response.BorRule
confirm = false
sd_min_days = 42

[endpoints.ic_orr]
kind = "response_rate"
label = "Intracranial ORR"
compartment = "intracranial"
responses = ["CR", "PR"]
population = "measurable_cns"         # denominator: a true/false baseline fact, or "all"

[endpoints.ic_dcr]
kind = "response_rate"
label = "Intracranial DCR"
compartment = "intracranial"
responses = ["CR", "PR", "SD", "NON-CR/NON-PD"]
population = "any_cns"

[endpoints.ex_orr]
kind = "response_rate"
label = "Extracranial ORR"
compartment = "extracranial"
responses = ["CR", "PR"]
population = "measurable_extracranial"

[endpoints.o_orr]
kind = "response_rate"
label = "Overall ORR"
compartment = "overall"
responses = ["CR", "PR"]

[endpoints.cns_ttp]
kind = "time_to_event"
label = "CNS time to progression"
compartment = "intracranial"
events = ["cns_progression"]
competing = ["death"]                 # add "extracranial_only_progression" for ALEX-style coding
censor_new_anticancer_therapy = true
censor_cns_local_therapy = true       # censor at the last brain MRI before SRS/WBRT/surgery
censor_at_data_cutoff = true

[endpoints.ic_dor]
kind = "duration_of_response"
label = "Intracranial duration of response"
compartment = "intracranial"
origin = "first_response"
events = ["cns_progression"]          # add "death" if the analysis plan counts deaths

[endpoints.pfs]
kind = "time_to_event"
label = "Progression-free survival"
compartment = "overall"
events = ["progression", "death"]
death_window_days = 112               # deaths later than this after the last scan: censored

[endpoints.os]
kind = "time_to_event"
label = "Overall survival"
compartment = "overall"
events = ["death"]
censor_at = "last_known_alive"
censor_new_anticancer_therapy = false
censor_cns_local_therapy = false

[[analyses]]
name = "ic_orr_by_cohort"
kind = "response_rate"
endpoint = "ic_orr"
by = "cohort"
tests = ["binomial_ci"]

[[analyses]]
name = "cns_ttp_by_cohort"
kind = "competing_risks"
endpoint = "cns_ttp"
by = "cohort"
tests = ["gray"]
times_months = [6, 12, 24]

[[analyses]]
name = "pfs_by_symptoms"
kind = "survival"
endpoint = "pfs"
groups = ["symptomatic", "asymptomatic"]
tests = ["logrank", "cox"]

[[analyses]]
name = "steroids_before_after"
kind = "paired_before_after"
within = ["symptomatic"]
variables = ["steroids_or_mannitol"]
after_days = [14, 28]
tests = ["mcnemar"]

[output]
dir = "report"
formats = ["html", "xlsx"]            # html | docx | xlsx
figure_formats = ["png"]              # png | svg | pdf
time_unit = "months"

# Resistance and treatment sequences (off unless enabled; docs/study-file.md, [resistance]):
# lines of therapy, progression incidence by drug, re-biopsies, sankey, survival after 2G.
# [resistance]
# enabled = true
# symptom_window_days = 28
# [[resistance.comparisons]]
# name = "first_line"
# label = "First-line ALK-TKI: alectinib vs crizotinib"
# stages = ["first_line"]
# groups = {{ alectinib = ["alectinib"], crizotinib = ["crizotinib"] }}
'''


def starter_text(*, title: str = "My CNS real-world study", agent: str = "alectinib",
                 data_cutoff: dt.date | None = None, filename: str = "study.toml") -> str:
    """The starter study file as text (a TOML document that loads without error)."""
    for name, value in (("title", title), ("agent", agent)):
        if not value or re.search(r'["\\\n]', value):
            msg = f"`{name}` must be non-empty text without quotes, backslashes or newlines,"
            msg += f" got {value!r}"
            raise SchemaError(msg)
    cutoff = data_cutoff or dt.date.today()
    return _TEMPLATE.format(title=title, agent=agent, cutoff=cutoff.isoformat(),
                            filename=filename)


def write_starter(path: str | Path, **options: object) -> Path:
    """Write the starter file to ``path``; refuses to overwrite an existing file."""
    p = Path(path)
    if p.is_dir():
        p = p / "study.toml"
    if p.exists():
        msg = f"`path` must not exist yet (cnsrwe init never overwrites), got {str(p)!r}"
        raise FileExistsError(msg)
    text = starter_text(filename=p.name, **options)  # type: ignore[arg-type]
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("x", encoding="utf-8") as fh:  # "x": fail if created meanwhile
        fh.write(text)
    return p
