"""Controlled-terminology maps from SDTM codes to the data-format vocabulary.

Sources: SDTMIG v3.4 (CDISC, 2021) for DM, EX, CM, PR, DS, MH; the SDTM oncology domains
(TU, TR, RS) as in the SDTMIG v3.4 section 6.3.14 and the CDISC Tumor/Lesion controlled
terminology (TUSTRESC C123650 "Tumor or Lesion Properties": TARGET, NON-TARGET, NEW; TRTESTCD
C96779: LDIAM longest diameter, SAXIS short axis, TUMSTATE tumour state; RSTESTCD C96782:
OVRLRESP, TRGRESP, NTRGRESP, NEWLPROG; RSSTRESC C96785: CR, PR, SD, PD, NE, NON-CR/NON-PD),
as used by pharmaverse example data (pharmaversesdtm ``tu_onco_recist``, ``tr_onco_recist``,
``rs_onco_recist``). Keys are upper-case; values are data-format codes.
"""

from __future__ import annotations

SEX = {"F": "female", "M": "male", "U": "unknown", "UNDIFFERENTIATED": "other"}

#: TULOC (SDTM anatomical location C74456, upper case) -> lesions.location.
LOCATION = {
    "BRAIN": "brain_parenchyma", "CEREBRUM": "brain_parenchyma", "CEREBELLUM": "brain_parenchyma",
    "BRAIN STEM": "brain_parenchyma", "BRAINSTEM": "brain_parenchyma",
    "FRONTAL LOBE": "brain_parenchyma", "PARIETAL LOBE": "brain_parenchyma",
    "TEMPORAL LOBE": "brain_parenchyma", "OCCIPITAL LOBE": "brain_parenchyma",
    "LEPTOMENINGES": "leptomeninges", "MENINGES": "leptomeninges",
    "SPINAL CORD": "spinal_cord", "LUNG": "lung", "LYMPH NODE": "lymph_node",
    "LIVER": "liver", "ADRENAL GLAND": "adrenal", "BONE": "bone", "PLEURA": "pleura",
    "PLEURAL CAVITY": "pleura",
}  # fmt: skip
#: TUSTRESC -> lesions.lesion_role.
LESION_ROLE = {"TARGET": "target", "NON-TARGET": "non_target", "NEW": "new"}
#: TRSTRESC of TRTESTCD TUMSTATE -> lesions.non_target_status (``EQUIVOCAL`` marks an
#: equivocal new lesion).
TUMSTATE = {"PRESENT": "present", "ABSENT": "absent",
            "UNEQUIVOCAL PROGRESSION": "unequivocal_progression", "EQUIVOCAL": "present"}
#: TRMETHOD / TUMETHOD (C85492) -> lesions.modality.
MODALITY = {"MRI": "mri", "CT SCAN": "ct", "CT": "ct", "PET-CT SCAN": "pet_ct", "PET/CT": "pet_ct",
            "PET-CT": "pet_ct", "FDG-PET/CT": "pet_ct"}  # fmt: skip
#: TRTESTCD values that carry a diameter, and values read but not needed (sums are re-derived).
DIAMETER_TESTS = ("LDIAM", "SAXIS")
IGNORED_TR_TESTS = ("SUMDIAM", "SUMLDIAM", "SUMNLNLD", "LPERP", "PCBSD", "PCNSD", "ACNSD",
                    "ACBSD", "VOLUME", "DIAMETER")  # fmt: skip
#: RSSTRESC -> timepoint_responses.response.
RESPONSE = {"CR": "CR", "PR": "PR", "SD": "SD", "PD": "PD", "NE": "NE",
            "NON-CR/NON-PD": "NON-CR/NON-PD", "NOT EVALUABLE": "NE"}  # fmt: skip
#: RSTESTCD read (OVRLRESP) and read but not imported (component and best responses are
#: re-derived from the lesions by ``cnsrwe derive``).
IGNORED_RS_TESTS = ("TRGRESP", "NTRGRESP", "NEWLPROG", "BESTRESP", "CBRESP", "SYMPTDTR")
#: RSCAT (response criteria) -> timepoint_responses.criteria.
CRITERIA = {"RECIST 1.1": "recist11", "RECIST V1.1": "recist11", "RANO-BM": "rano_bm",
            "RANO-LM": "rano_lm", "CNS MRECIST": "cns_mrecist", "MRECIST CNS": "cns_mrecist"}
#: Criteria that assess the CNS only: with RSSCAT empty, their calls are intracranial.
CNS_ONLY_CRITERIA = ("rano_bm", "rano_lm", "cns_mrecist")
#: RSSCAT (cnsrwe convention, docs/exchange.md) -> timepoint_responses.compartment.
COMPARTMENT = {"INTRACRANIAL": "intracranial", "CNS": "intracranial",
               "EXTRACRANIAL": "extracranial", "OVERALL": "overall"}  # fmt: skip

#: Systemic agents (EXTRT / CMTRT / CMDECOD, upper case) -> treatments.agent_class.
AGENT_CLASS = {
    **dict.fromkeys(("ALECTINIB", "CRIZOTINIB", "CERITINIB", "BRIGATINIB", "LORLATINIB",
                     "ENSARTINIB", "ENTRECTINIB", "IRUALKINIB", "ICOTINIB HYDROCHLORIDE"),
                    "alk_tki"),
    **dict.fromkeys(("CARBOPLATIN", "CISPLATIN", "PEMETREXED", "DOCETAXEL", "PACLITAXEL",
                     "NAB-PACLITAXEL", "GEMCITABINE", "VINORELBINE", "ETOPOSIDE", "TEMOZOLOMIDE",
                     "METHOTREXATE"), "chemotherapy"),
    **dict.fromkeys(("PEMBROLIZUMAB", "NIVOLUMAB", "ATEZOLIZUMAB", "DURVALUMAB",
                     "IPILIMUMAB", "SINTILIMAB", "CAMRELIZUMAB", "TISLELIZUMAB"),
                    "immunotherapy"),
    **dict.fromkeys(("BEVACIZUMAB", "RAMUCIRUMAB", "ANLOTINIB", "ENDOSTAR"), "anti_angiogenic"),
}  # fmt: skip

#: PRTRT / PRDECOD (upper case) -> (agent_class, rt_technique).
PROCEDURE = {
    "STEREOTACTIC RADIOSURGERY": ("radiotherapy", "srs"), "SRS": ("radiotherapy", "srs"),
    "WHOLE BRAIN RADIOTHERAPY": ("radiotherapy", "wbrt"),
    "WHOLE BRAIN RADIATION THERAPY": ("radiotherapy", "wbrt"), "WBRT": ("radiotherapy", "wbrt"),
    "FRACTIONATED STEREOTACTIC RADIOTHERAPY": ("radiotherapy", "fsrt"),
    "FSRT": ("radiotherapy", "fsrt"),
    "RADIOTHERAPY": ("radiotherapy", "other"), "RADIATION THERAPY": ("radiotherapy", "other"),
    "SURGERY": ("surgery", None), "CRANIOTOMY": ("surgery", None),
    "SURGICAL RESECTION": ("surgery", None), "RESECTION": ("surgery", None),
}  # fmt: skip
#: PRLOC -> treatments.target_site.
TARGET_SITE = {
    "BRAIN": "brain", "LEPTOMENINGES": "leptomeninges", "MENINGES": "leptomeninges",
    "SPINE": "spine", "SPINAL CORD": "spine", "VERTEBRAL COLUMN": "spine",
    **dict.fromkeys(("LUNG", "BONE", "LIVER", "ADRENAL GLAND", "LYMPH NODE", "CHEST",
                     "THORAX", "PLEURA", "PELVIS"), "extracranial"),
}  # fmt: skip

#: SUPPDM QNAM (cnsrwe convention, docs/exchange.md) -> patients column; values are taken
#: lower-case, except the stage (as written) and the ECOG grade.
SUPPDM_QNAM = {"SMOKSTAT": "smoking_status", "HISTOL": "histology", "STAGEDX": "stage_at_diagnosis",
               "ECOGBL": "ecog_at_index", "ALKMETH": "alk_test_method",
               "ALKVAR": "alk_fusion_variant"}  # fmt: skip
