"""SDTM domains in: DM, SUPPDM, MH, EX, CM, PR, TU, TR, RS, DS (and DD) -> the data format.

The mapped tables are text tables (:class:`cnsrwe.io.RawStudy`) that go through exactly the
validation of every other input (:func:`cnsrwe.io.validate.validate_raw_study`), so an SDTM
import is all-or-nothing like a CSV import. Mapping problems (unknown codes, partial dates,
missing variables) are errors naming the domain, USUBJID, --SEQ and variable.

Mapping (SDTMIG v3.4; oncology domains TU/TR/RS; details and conventions in
``docs/exchange.md``):

* patients <- DM: USUBJID, SITEID, SEX (F/M/U/UNDIFFERENTIATED), BRTHDTC (year) -> birth_year,
  AGE (AGEU YEARS) -> age_at_index, DTHDTC -> death_date (DS DSDECOD DEATH gives it too; two
  different dates are an error). last_known_alive_date (alive patients only) = the latest of
  RFPENDTC and every dated record of the patient. diagnosis_date <- MH record with MHCAT
  ``PRIMARY DIAGNOSIS`` (MHSTDTC); smoking, histology, stage, ECOG, ALK test <- SUPPDM QNAMs.
* treatments <- EX, and CM records whose CMCAT contains ``CANCER``: records sharing --GRPID
  form one line; without --GRPID, records of one agent form one episode (first start to last
  end) and episodes starting the same day are one combination line. Lines are numbered 1, 2,
  ... by start date. An episode with a record without end date is ongoing. agent_class from
  the agent dictionary (:data:`~cnsrwe.exchange.sdtm_codes.AGENT_CLASS`, extendable).
  PR (radiotherapy, surgery): PRTRT -> agent_class and rt_technique, PRLOC -> target_site; the
  line is the systemic line running on PRSTDTC; a procedure with an end date is completed.
* lesions <- TU (TULNKID, TUSTRESC role, TULOC location, TUMETHOD) joined to TR by USUBJID and
  TRLNKID: LDIAM/SAXIS (TRSTRESN in mm; cm converted) -> diameter_mm; TRSTRESC ``TOO SMALL TO
  MEASURE`` -> too_small_to_measure; TUMSTATE -> non_target_status (``EQUIVOCAL`` marks an
  equivocal new lesion); TRDTC -> assessment_date; TRMETHOD -> modality. Records with TRSTAT
  ``NOT DONE`` are skipped (a missing lesion, as the criteria expect). When --ACPTFL is
  present, only accepted (``Y``) records are read.
* timepoint_responses <- RS RSTESTCD OVRLRESP: RSSTRESC response, RSCAT criteria, RSSCAT
  compartment (INTRACRANIAL/EXTRACRANIAL/OVERALL; empty = intracranial for CNS-only criteria,
  else overall), RSDTC date.

Dates: only complete ISO 8601 dates are accepted (a time part is dropped); partial dates are
reported, never imputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from cnsrwe.errors import ValidationFailed
from cnsrwe.exchange import sdtm_codes as codes
from cnsrwe.exchange.sdtm_files import REC, SdtmLog, read_domains
from cnsrwe.io.loaded import LoadedStudy, SourceFile
from cnsrwe.io.raw import SOURCE_ROW, RawStudy, RawTable
from cnsrwe.io.schema import TABLES
from cnsrwe.io.validate import ValidationReport, validate_raw_study

__all__ = ["load_sdtm", "read_sdtm", "validate_sdtm"]

_ISO = r"^\d{4}-\d{2}-\d{2}(T.*)?$"
_PID = "USUBJID"


class _Mapper:
    def __init__(self, frames: dict[str, pl.DataFrame], log: SdtmLog,
                 agent_classes: Mapping[str, str]) -> None:  # fmt: skip
        self.frames = frames
        self.log = log
        self.agents = {**codes.AGENT_CLASS, **{k.upper(): v for k, v in agent_classes.items()}}

    # -- helpers -----------------------------------------------------------------------
    def need(self, dom: str, variables: tuple[str, ...]) -> pl.DataFrame | None:
        df = self.frames.get(dom)
        if df is None:
            return None
        missing = [v for v in variables if v not in df.columns]
        for v in missing:
            self.log.add("sdtm_missing_variable", dom,
                         f"{dom.upper()} has no variable `{v}`, which the mapping needs.",
                         f"Add {v} to {dom.upper()} (SDTMIG v3.4).", variable=v)  # fmt: skip
        return None if missing else df

    def accepted(self, df: pl.DataFrame, dom: str) -> pl.DataFrame:
        flag = f"{dom.upper()}ACPTFL"
        if flag in df.columns and df[flag].null_count() < df.height:
            return df.filter(pl.col(flag) == "Y")
        return df

    def date(self, df: pl.DataFrame, dom: str, var: str, alias: str) -> pl.DataFrame:
        """``alias`` = the date part of ``var``; partial / non-ISO values are reported."""
        if var not in df.columns:
            return df.with_columns(pl.lit(None, pl.String).alias(alias))
        bad = df.filter(pl.col(var).is_not_null() & ~pl.col(var).str.contains(_ISO))
        if bad.height:
            self.log.add_records("sdtm_partial_date", dom, bad, var,
                                 "must be a complete ISO 8601 date (YYYY-MM-DD)",
                                 "Give the full date; cnsrwe never imputes partial dates.")
        return df.with_columns(
            pl.when(pl.col(var).str.contains(_ISO)).then(pl.col(var).str.slice(0, 10))
            .alias(alias)
        )  # fmt: skip

    def code(self, df: pl.DataFrame, dom: str, var: str, mapping: Mapping[str, str],
             alias: str, *, required: bool = True) -> pl.DataFrame:  # fmt: skip
        """``alias`` = ``mapping[upper(var)]``; unknown (and, if required, empty) values are
        reported."""
        key = pl.col(var).str.to_uppercase()
        mapped = key.replace_strict(dict(mapping), default=None, return_dtype=pl.String)
        out = df.with_columns(mapped.alias(alias))
        known = ", ".join(sorted(mapping))
        unknown = out.filter(pl.col(var).is_not_null() & pl.col(alias).is_null())
        if unknown.height:
            self.log.add_records("sdtm_unknown_code", dom, unknown, var,
                                 "is not a code the import knows",
                                 f"Use one of: {known}.")  # fmt: skip
        if required:
            empty = out.filter(pl.col(var).is_null())
            if empty.height:
                self.log.add_records("sdtm_unknown_code", dom, empty, var, "must not be empty",
                                     f"Use one of: {known}.")  # fmt: skip
        return out

    # -- patients ----------------------------------------------------------------------
    def patients(self, dated: list[pl.DataFrame]) -> pl.DataFrame | None:
        dm = self.need("dm", (_PID, "SITEID", "SEX"))
        if dm is None:
            if "dm" not in self.frames:
                self.log.add("sdtm_missing_domain", "dm", "Domain DM is not given.",
                             "Add dm.xpt (or dm.csv / dm.parquet): one record per subject.")
            return None
        dm = self.code(dm, "dm", "SEX", codes.SEX, "sex")
        if "BRTHDTC" in dm.columns:  # only the year is used, so "1960" alone is enough
            bad = dm.filter(pl.col("BRTHDTC").is_not_null()
                            & ~pl.col("BRTHDTC").str.contains(r"^\d{4}"))  # fmt: skip
            if bad.height:
                self.log.add_records("sdtm_partial_date", "dm", bad, "BRTHDTC",
                                     "must start with a 4-digit year", "Give BRTHDTC as ISO 8601.")
        birth = (pl.col("BRTHDTC").str.extract(r"^(\d{4})") if "BRTHDTC" in dm.columns
                 else pl.lit(None, pl.String))  # fmt: skip
        dm = dm.with_columns(birth.alias("__birth"))
        dm = self.date(dm, "dm", "DTHDTC", "__dth")
        dm = self.date(dm, "dm", "RFPENDTC", "__rfpen")
        if "AGEU" in dm.columns:
            bad = dm.filter(pl.col("AGE").is_not_null() & pl.col("AGEU").is_not_null()
                            & (pl.col("AGEU").str.to_uppercase() != "YEARS"))  # fmt: skip
            if bad.height:
                self.log.add_records("sdtm_unknown_code", "dm", bad, "AGEU", "must be YEARS",
                                     "Give AGE in years.")  # fmt: skip
        death = self._death_from_ds()
        out = dm.select(
            pl.col(_PID).alias("patient_id"), pl.col("SITEID").alias("site_id"), "sex",
            pl.col("__birth").alias("birth_year"),
            (pl.col("AGE") if "AGE" in dm.columns else pl.lit(None, pl.String))
            .alias("age_at_index"),
            pl.col("__dth"), pl.col("__rfpen"), pl.col(REC),
        )  # fmt: skip
        if death is not None:
            out = out.join(death, on="patient_id", how="left")
            clash = out.filter(pl.col("__dth").is_not_null() & pl.col("__ds_dth").is_not_null()
                               & (pl.col("__dth") != pl.col("__ds_dth")))  # fmt: skip
            if clash.height:
                self.log.add_records(
                    "sdtm_conflict", "dm", clash.rename({"patient_id": _PID}), "DTHDTC",
                    "differs from the DS death record (DSDECOD DEATH, DSSTDTC)",
                    "Correct one of the two dates.")  # fmt: skip
            out = out.with_columns(pl.coalesce("__dth", "__ds_dth").alias("__dth"))
        out = out.join(self._diagnosis(), on="patient_id", how="left")
        out = out.join(self._suppdm(), on="patient_id", how="left")
        last = pl.concat([d.select("patient_id", pl.col("d").cast(pl.String)) for d in dated]
                         + [out.select("patient_id", pl.col("__rfpen").alias("d"))])
        last = last.drop_nulls().group_by("patient_id").agg(pl.col("d").max().alias("__last"))
        out = out.join(last, on="patient_id", how="left").with_columns(
            pl.col("__dth").alias("death_date"),
            pl.when(pl.col("__dth").is_null()).then(pl.col("__last"))
            .alias("last_known_alive_date"),
        )  # fmt: skip
        cols = [c.name for c in TABLES["patients"].columns]
        return out.select(
            [pl.col(c) if c in out.columns else pl.lit(None, pl.String).alias(c) for c in cols]
            + [pl.lit(None, pl.String).alias("__x"), pl.col(REC)]
        ).drop("__x")

    def _death_from_ds(self) -> pl.DataFrame | None:
        ds = self.frames.get("ds")
        if ds is None or "DSDECOD" not in ds.columns:
            return None
        ds = self.date(ds.filter(pl.col("DSDECOD").str.to_uppercase() == "DEATH"), "ds",
                       "DSSTDTC", "__ds_dth")  # fmt: skip
        return ds.group_by(pl.col(_PID).alias("patient_id")).agg(pl.col("__ds_dth").min())

    def _diagnosis(self) -> pl.DataFrame:
        mh = self.frames.get("mh")
        empty = pl.DataFrame(schema={"patient_id": pl.String, "diagnosis_date": pl.String})
        if mh is None or "MHCAT" not in mh.columns:
            return empty
        mh = mh.filter(pl.col("MHCAT").str.to_uppercase() == "PRIMARY DIAGNOSIS")
        mh = self.date(mh, "mh", "MHSTDTC", "diagnosis_date")
        return mh.group_by(pl.col(_PID).alias("patient_id")).agg(pl.col("diagnosis_date").min())

    def _suppdm(self) -> pl.DataFrame:
        supp = self.frames.get("suppdm")
        if supp is None or not {"QNAM", "QVAL"} <= set(supp.columns):
            return pl.DataFrame(schema={"patient_id": pl.String})
        supp = supp.filter(pl.col("QNAM").str.to_uppercase().is_in(list(codes.SUPPDM_QNAM)))
        value = (pl.when(pl.col("QNAM").str.to_uppercase().is_in(["STAGEDX", "ALKVAR"]))
                 .then(pl.col("QVAL")).otherwise(pl.col("QVAL").str.to_lowercase()))  # fmt: skip
        long = supp.select(
            pl.col(_PID).alias("patient_id"),
            pl.col("QNAM").str.to_uppercase().replace_strict(codes.SUPPDM_QNAM).alias("q"),
            value.alias("v"),
        )  # fmt: skip
        if long.height == 0:
            return pl.DataFrame(schema={"patient_id": pl.String})
        return long.pivot(on="q", index="patient_id", values="v", aggregate_function="first")

    # -- treatments --------------------------------------------------------------------
    def _systemic_records(self) -> pl.DataFrame | None:
        parts: list[pl.DataFrame] = []
        for dom in ("ex", "cm"):
            p = dom.upper()
            df = self.need(dom, (_PID, f"{p}TRT", f"{p}STDTC")) if dom in self.frames else None
            if df is None:
                continue
            if dom == "cm":
                if "CMCAT" not in df.columns:
                    continue
                df = df.filter(pl.col("CMCAT").str.to_uppercase().str.contains("CANCER"))
            df = self.date(df, dom, f"{p}STDTC", "start")
            df = self.date(df, dom, f"{p}ENDTC", "end")
            df = self.code(df, dom, f"{p}TRT", self.agents, "agent_class")
            df = df.with_columns(pl.col(f"{p}TRT").str.to_uppercase().alias("__agent"))
            grp = pl.col(f"{p}GRPID") if f"{p}GRPID" in df.columns else pl.lit(None, pl.String)
            dose = [pl.col(c) for c in (f"{p}DOSE", f"{p}DOSU", f"{p}DOSFRQ") if c in df.columns]
            parts.append(df.select(
                pl.col(_PID).alias("patient_id"), "__agent", "agent_class", "start", "end",
                (pl.lit(dom.upper() + ":") + grp).alias("__grp"),
                (pl.concat_str(dose, separator=" ", ignore_nulls=True) if dose
                 else pl.lit(None, pl.String)).alias("dose"),
                (pl.lit(f"{p}SEQ=") + (pl.col(f"{p}SEQ") if f"{p}SEQ" in df.columns
                                       else pl.col(REC).cast(pl.String))).alias("__seq"),
            ))  # fmt: skip
        if not parts:
            self.log.add("sdtm_missing_domain", "ex", "Neither EX nor CM gives a systemic"
                         " anti-cancer treatment.", "Add ex.xpt (or cm.xpt with CMCAT naming"
                         " anti-cancer therapy).")  # fmt: skip
            return None
        return pl.concat(parts).filter(pl.col("start").is_not_null())

    def systemic_lines(self) -> pl.DataFrame | None:
        rec = self._systemic_records()
        if rec is None:
            return None
        # an episode: records sharing --GRPID, else records of one agent
        rec = rec.with_columns(pl.coalesce("__grp", pl.lit("agent:") + pl.col("__agent"))
                               .alias("__episode"))  # fmt: skip
        ep = rec.group_by("patient_id", "__episode").agg(
            pl.col("start").min(),
            pl.when(pl.col("end").is_null().any()).then(None).otherwise(pl.col("end").max())
            .alias("end"),
            pl.col("__agent").unique().sort().alias("agents"),
            pl.col("agent_class").first(), pl.col("dose").first(),
            pl.col("__seq").str.join(",").alias("__seq"),
        )  # fmt: skip
        # episodes starting on the same day form one combination line
        line = ep.group_by("patient_id", "start").agg(
            pl.when(pl.col("end").is_null().any()).then(None).otherwise(pl.col("end").max())
            .alias("end_date"),
            pl.col("agents").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
            .alias("agents"),
            pl.col("agent_class").sort_by(pl.col("agent_class") != "alk_tki").first(),
            pl.col("dose").drop_nulls().first(), pl.col("__seq").str.join(","),
        ).sort("patient_id", "start")  # fmt: skip
        return line.with_columns(
            pl.int_range(1, pl.len() + 1).over("patient_id").alias("line"),
            pl.col("agents").list.eval(pl.element().str.to_lowercase()).alias("agents"),
        ).select(
            "patient_id", pl.col("line").cast(pl.String),
            pl.col("agents").list.join(" + ").alias("regimen"), "agent_class",
            pl.col("agents").list.join(";").alias("agents"),
            pl.col("start").alias("start_date"), "end_date",
            pl.when(pl.col("end_date").is_null()).then(pl.lit("ongoing")).alias("end_reason"),
            pl.lit(None, pl.String).alias("target_site"),
            pl.lit(None, pl.String).alias("rt_technique"), "dose",
            pl.col("__seq").alias("sdtm_record"),
        )  # fmt: skip

    def procedures(self, lines: pl.DataFrame) -> pl.DataFrame | None:
        if "pr" not in self.frames:
            return None
        pr = self.need("pr", (_PID, "PRTRT", "PRSTDTC"))
        if pr is None:
            return None
        klass = {k: v[0] for k, v in codes.PROCEDURE.items()}
        tech = {k: v[1] for k, v in codes.PROCEDURE.items() if v[1] is not None}
        pr = self.code(pr, "pr", "PRTRT", klass, "agent_class")
        pr = pr.with_columns(pl.col("PRTRT").str.to_uppercase().replace_strict(
            tech, default=None, return_dtype=pl.String).alias("rt_technique"))  # fmt: skip
        if "PRLOC" in pr.columns:
            pr = self.code(pr, "pr", "PRLOC", codes.TARGET_SITE, "target_site", required=False)
        else:
            pr = pr.with_columns(pl.lit(None, pl.String).alias("target_site"))
        pr = self.date(pr, "pr", "PRSTDTC", "start_date")
        pr = self.date(pr, "pr", "PRENDTC", "end_date")
        pr = pr.with_columns(pl.col(_PID).alias("patient_id"))
        running = pr.select("patient_id", "start_date", REC).join(
            lines.select("patient_id", "line", pl.col("start_date").alias("__ls"),
                         pl.col("end_date").alias("__le")),
            on="patient_id", how="inner",
        ).filter(
            (pl.col("__ls") <= pl.col("start_date"))
            & (pl.col("__le").is_null() | (pl.col("start_date") <= pl.col("__le")))
        ).group_by(REC).agg(pl.col("line").cast(pl.Int64).min().cast(pl.String))  # fmt: skip
        pr = pr.join(running, on=REC, how="left")
        seq = pl.col("PRSEQ") if "PRSEQ" in pr.columns else pl.col(REC).cast(pl.String)
        return pr.select(
            "patient_id", "line", pl.col("PRTRT").str.to_lowercase().alias("regimen"),
            "agent_class", pl.lit(None, pl.String).alias("agents"), "start_date", "end_date",
            pl.when(pl.col("end_date").is_not_null()).then(pl.lit("completed"))
            .alias("end_reason"), "target_site", "rt_technique",
            pl.lit(None, pl.String).alias("dose"), (pl.lit("PRSEQ=") + seq).alias("sdtm_record"),
        )  # fmt: skip

    # -- lesions -----------------------------------------------------------------------
    def lesions(self) -> pl.DataFrame | None:
        if "tu" not in self.frames and "tr" not in self.frames:
            return None
        tu = self.need("tu", (_PID, "TULNKID", "TUSTRESC", "TULOC"))
        tr = self.need("tr", (_PID, "TRLNKID", "TRTESTCD", "TRDTC"))
        if tu is None or tr is None:
            for dom, df in (("tu", tu), ("tr", tr)):
                if dom not in self.frames:
                    self.log.add("sdtm_missing_domain", dom,
                                 f"Domain {dom.upper()} is needed with "
                                 f"{'TR' if dom == 'tu' else 'TU'}.",
                                 "Give TU (lesion identification) and TR (measurements).")
                del df
            return None
        tu = self.accepted(tu, "tu")
        tu = self.code(tu, "tu", "TUSTRESC", codes.LESION_ROLE, "lesion_role")
        tu = self.code(tu, "tu", "TULOC", codes.LOCATION, "location")
        if "TUMETHOD" in tu.columns:
            tu = self.code(tu, "tu", "TUMETHOD", codes.MODALITY, "__tumethod", required=False)
        else:
            tu = tu.with_columns(pl.lit(None, pl.String).alias("__tumethod"))
        tu = tu.unique([_PID, "TULNKID"], keep="first", maintain_order=True).select(
            _PID, pl.col("TULNKID").alias("TRLNKID"), "lesion_role", "location",
            pl.col("TULOC").str.to_lowercase().alias("organ"), "__tumethod",
        )  # fmt: skip
        tr = self.accepted(tr, "tr")
        if "TRSTAT" in tr.columns:
            tr = tr.filter(pl.col("TRSTAT").is_null() | (pl.col("TRSTAT") != "NOT DONE"))
        test = pl.col("TRTESTCD").str.to_uppercase()
        known = [*codes.DIAMETER_TESTS, "TUMSTATE", *codes.IGNORED_TR_TESTS]
        bad = tr.filter(~test.is_in(known))
        if bad.height:
            self.log.add_records("sdtm_unknown_code", "tr", bad, "TRTESTCD",
                                 "is not a test the import reads",
                                 f"Use one of: {', '.join(known)}.")  # fmt: skip
        tr = tr.filter(test.is_in([*codes.DIAMETER_TESTS, "TUMSTATE"]))
        tr = self.date(tr, "tr", "TRDTC", "assessment_date")
        for var in ("TRSTRESN", "TRSTRESU", "TRSTRESC", "TRMETHOD"):
            if var not in tr.columns:
                tr = tr.with_columns(pl.lit(None, pl.String).alias(var))
        unit = pl.col("TRSTRESU").str.to_lowercase()
        bad_unit = tr.filter(pl.col("TRSTRESN").is_not_null()
                             & ~unit.fill_null("mm").is_in(["mm", "cm"]))  # fmt: skip
        if bad_unit.height:
            self.log.add_records("sdtm_unknown_code", "tr", bad_unit, "TRSTRESU",
                                 "must be mm or cm", "Give diameters in mm.")  # fmt: skip
        mm = pl.col("TRSTRESN").cast(pl.Float64, strict=False) * pl.when(unit == "cm").then(
            10.0).otherwise(1.0)  # fmt: skip
        is_diam = pl.col("TRTESTCD").str.to_uppercase().is_in(codes.DIAMETER_TESTS)
        state = self.code(tr.filter(~is_diam), "tr", "TRSTRESC", codes.TUMSTATE, "__status")
        tr = pl.concat([
            tr.filter(is_diam).with_columns(pl.lit(None, pl.String).alias("__status")), state,
        ], how="vertical_relaxed")  # fmt: skip
        tr = self.code(tr, "tr", "TRMETHOD", codes.MODALITY, "__trmethod", required=False)
        per = tr.group_by(_PID, "TRLNKID", "assessment_date").agg(
            mm.filter(is_diam).first().alias("__mm"),
            (is_diam & (pl.col("TRSTRESC").str.to_uppercase() == "TOO SMALL TO MEASURE"))
            .any().alias("too_small_to_measure"),
            pl.col("__status").drop_nulls().first().alias("non_target_status"),
            (pl.col("TRSTRESC").str.to_uppercase() == "EQUIVOCAL").any().alias("equivocal"),
            pl.col("__trmethod").drop_nulls().first(), pl.col(REC).min(),
            pl.col("TRSEQ").str.join(",").alias("__seq") if "TRSEQ" in tr.columns
            else pl.col(REC).cast(pl.String).str.join(",").alias("__seq"),
        )  # fmt: skip
        missing = per.join(tu, on=[_PID, "TRLNKID"], how="anti")
        if missing.height:
            self.log.add_records("sdtm_unknown_code", "tr", missing, "TRLNKID",
                                 "links to no TU record (TULNKID)",
                                 "Add the lesion to TU or correct TRLNKID.")  # fmt: skip
        out = per.join(tu, on=[_PID, "TRLNKID"], how="inner")
        role = pl.col("lesion_role")
        return out.select(
            pl.col(_PID).alias("patient_id"), "assessment_date",
            pl.col("TRLNKID").alias("lesion_id"), "location", "organ", "lesion_role",
            pl.col("__mm").round(1).cast(pl.String).alias("diameter_mm"),
            pl.when(role == "target").then(None).otherwise(pl.col("non_target_status"))
            .alias("non_target_status"),
            pl.coalesce("__trmethod", "__tumethod").alias("modality"),
            pl.col("too_small_to_measure").cast(pl.String).str.to_lowercase(),
            pl.col("equivocal").cast(pl.String).str.to_lowercase(),
            (pl.lit("TRSEQ=") + pl.col("__seq")).alias("sdtm_record"), REC,
        ).sort(REC)  # fmt: skip

    # -- timepoint responses -----------------------------------------------------------
    def responses(self) -> pl.DataFrame | None:
        if "rs" not in self.frames:
            return None
        rs = self.need("rs", (_PID, "RSTESTCD", "RSSTRESC", "RSDTC", "RSCAT"))
        if rs is None:
            return None
        rs = self.accepted(rs, "rs")
        test = pl.col("RSTESTCD").str.to_uppercase()
        bad = rs.filter(~test.is_in(["OVRLRESP", *codes.IGNORED_RS_TESTS]))
        if bad.height:
            self.log.add_records("sdtm_unknown_code", "rs", bad, "RSTESTCD",
                                 "is not a response test the import reads",
                                 "Use OVRLRESP for timepoint responses.")  # fmt: skip
        rs = rs.filter(test == "OVRLRESP")
        rs = self.code(rs, "rs", "RSSTRESC", codes.RESPONSE, "response")
        rs = self.code(rs, "rs", "RSCAT", codes.CRITERIA, "criteria")
        if "RSSCAT" not in rs.columns:
            rs = rs.with_columns(pl.lit(None, pl.String).alias("RSSCAT"))
        rs = self.code(rs, "rs", "RSSCAT", codes.COMPARTMENT, "__comp", required=False)
        rs = self.date(rs, "rs", "RSDTC", "assessment_date")
        default = pl.when(pl.col("criteria").is_in(codes.CNS_ONLY_CRITERIA)).then(
            pl.lit("intracranial")).otherwise(pl.lit("overall"))  # fmt: skip
        seq = pl.col("RSSEQ") if "RSSEQ" in rs.columns else pl.col(REC).cast(pl.String)
        return rs.select(
            pl.col(_PID).alias("patient_id"), "assessment_date",
            pl.coalesce("__comp", default).alias("compartment"), "response", "criteria",
            (pl.lit("RSSEQ=") + seq).alias("sdtm_record"), REC,
        )  # fmt: skip


def _raw_table(name: str, frame: pl.DataFrame, root: Path, digest: str, label: str) -> RawTable:
    frame = frame.drop(REC, strict=False).with_columns(
        pl.all().cast(pl.String),
    ).with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(SOURCE_ROW))
    source = SourceFile(name, str(root), None, digest, frame.height)
    return RawTable(name, label, source, frame)


def read_sdtm(path: str | Path, *, agent_classes: Mapping[str, str] | None = None) -> RawStudy:
    """Read a folder of SDTM domain files and map it to the data format's text tables.

    Parameters
    ----------
    path
        A folder holding ``dm.xpt`` (or ``.csv`` / ``.parquet``), ``ex``, ``cm``, ``pr``,
        ``tu``, ``tr``, ``rs``, ``ds``, ``mh``, ``suppdm`` files (only DM and EX or CM are
        required).
    agent_classes
        Extra agent -> ``agent_class`` entries (e.g. ``{"XL-123": "alk_tki"}``).

    Returns
    -------
    RawStudy
        Text tables ``patients``, ``treatments``, ``lesions``, ``timepoint_responses`` (with an
        extra ``sdtm_record`` column naming the source records) and the mapping problems.
        Pass it to :func:`cnsrwe.io.validate.validate_raw_study`, or use
        :func:`validate_sdtm` / :func:`load_sdtm`.
    """
    root = Path(path)
    log = SdtmLog()
    if not root.is_dir():
        log.add("sdtm_missing_domain", "dm", f"The SDTM folder `{root}` does not exist.",
                "Give a folder of SDTM domain files (dm.xpt, ex.xpt, ...).")  # fmt: skip
        return RawStudy(root, {}, problems=tuple(log.problems))
    if agent_classes is not None:
        allowed = TABLES["treatments"].column("agent_class").allowed or ()
        for klass in agent_classes.values():
            if klass not in allowed:
                msg = f"`agent_classes` values must be among {list(allowed)!r}, got {klass!r}"
                raise ValueError(msg)
    frames, digest = read_domains(root, log)
    m = _Mapper(frames, log, agent_classes or {})
    lines = m.systemic_lines()
    local = m.procedures(lines) if lines is not None else None
    lesions = m.lesions()
    responses = m.responses()
    dated: list[pl.DataFrame] = []
    if lines is not None:
        dated += [lines.select("patient_id", pl.col(c).alias("d")) for c in
                  ("start_date", "end_date")]  # fmt: skip
    if local is not None:
        dated += [local.select("patient_id", pl.col(c).alias("d")) for c in
                  ("start_date", "end_date")]  # fmt: skip
    for df in (lesions, responses):
        if df is not None:
            dated.append(df.select("patient_id", pl.col("assessment_date").alias("d")))
    patients = m.patients(dated)
    tables: dict[str, RawTable] = {}
    where = f"SDTM {root.name}"
    if patients is not None:
        tables["patients"] = _raw_table("patients", patients, root, digest, f"{where} (DM)")
    if lines is not None:
        treat = pl.concat([lines, local], how="vertical_relaxed") if local is not None else lines
        tables["treatments"] = _raw_table("treatments", treat, root, digest,
                                          f"{where} (EX/CM/PR)")  # fmt: skip
    if lesions is not None:
        tables["lesions"] = _raw_table("lesions", lesions, root, digest, f"{where} (TU/TR)")
    if responses is not None:
        tables["timepoint_responses"] = _raw_table("timepoint_responses", responses, root,
                                                   digest, f"{where} (RS)")  # fmt: skip
    unreadable = frozenset() if not log.problems else frozenset(
        t for t in ("patients", "treatments") if t not in tables
    )  # fmt: skip
    return RawStudy(root, tables, unreadable, tuple(log.problems))


def validate_sdtm(path: str | Path, *,
                  agent_classes: Mapping[str, str] | None = None) -> ValidationReport:  # fmt: skip
    """Map an SDTM folder (:func:`read_sdtm`) and run the standard validation on the result."""
    return validate_raw_study(read_sdtm(path, agent_classes=agent_classes))


def load_sdtm(path: str | Path, *,
              agent_classes: Mapping[str, str] | None = None) -> LoadedStudy:  # fmt: skip
    """The typed tables of an SDTM folder, or :class:`~cnsrwe.errors.ValidationFailed`."""
    report = validate_sdtm(path, agent_classes=agent_classes)
    if report.study is None:
        first = report.errors[0]
        msg = (f"the SDTM folder `{path}` has {len(report.errors)} error(s); first:"
               f" {first.location()}: {first.message}")  # fmt: skip
        raise ValidationFailed(msg, report.problems)
    return report.study
