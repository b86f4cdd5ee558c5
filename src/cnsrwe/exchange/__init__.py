"""Exchange with other tools: SDTM in, ADaM-style datasets out (SAS transport v5 and Parquet
with a data-definition table), SPSS/Stata files out and in, and a cBioPortal study folder.

See ``docs/exchange.md``. The SAS/SPSS/Stata encoders need the optional extra
``pip install 'cnsrwe[exchange]'`` (pyreadstat); everything else works from a plain install.
"""

from cnsrwe.exchange.adam import ADAM_INPUTS, build_adam, read_adam_inputs, select_index_line
from cnsrwe.exchange.cbioportal import check_cbioportal, write_cbioportal
from cnsrwe.exchange.define import build_define, write_define
from cnsrwe.exchange.sdtm import load_sdtm, read_sdtm, validate_sdtm
from cnsrwe.exchange.spss import read_stat_study, validate_stat_study, write_stat_datasets
from cnsrwe.exchange.variables import ADAM_LABELS, ADAM_VARS, Var
from cnsrwe.exchange.write_adam import write_adam
from cnsrwe.exchange.xpt import check_xpt_dataset, read_xpt, write_parquet_dataset, write_xpt

__all__ = [
    "ADAM_INPUTS",
    "ADAM_LABELS",
    "ADAM_VARS",
    "Var",
    "build_adam",
    "build_define",
    "check_cbioportal",
    "check_xpt_dataset",
    "load_sdtm",
    "read_adam_inputs",
    "read_sdtm",
    "read_stat_study",
    "read_xpt",
    "select_index_line",
    "validate_sdtm",
    "validate_stat_study",
    "write_adam",
    "write_cbioportal",
    "write_define",
    "write_parquet_dataset",
    "write_stat_datasets",
    "write_xpt",
]
