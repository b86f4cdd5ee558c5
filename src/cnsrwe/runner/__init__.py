"""The analysis runner: a study file in, the full report out (``cnsrwe report``).

``run_report(study_path, out_dir)`` reads the data the study file names, derives the analysis
datasets, runs every analysis (statistics from :mod:`cnsrwe.stats` and
:mod:`cnsrwe.endpoints`, one ARD table), builds the report document and writes
report.html/.docx/.xlsx, figures/, results.csv and manifest.json. See
``docs/running-a-study.md``.
"""

from cnsrwe.runner.inputs import StudyInputs, read_inputs
from cnsrwe.runner.prepare import PreparedStudy, prepare_study
from cnsrwe.runner.run import RunResult, run_report

__all__ = ["PreparedStudy", "RunResult", "StudyInputs", "prepare_study", "read_inputs",
           "run_report"]
