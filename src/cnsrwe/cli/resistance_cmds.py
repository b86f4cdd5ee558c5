"""Commands of the resistance group (registered by `cnsrwe.cli`).

``cnsrwe kb MUTATION [--drug D] [--format text|json]`` prints what the ALK mutation x
inhibitor knowledge base holds for one mutation (or compound, ``G1202R+L1196M``): per drug
the activity decided from verified rows, then every evidence row with its source and
verification status. Unverified rows are marked ``[UNVERIFIED]`` and their IC50 is never
printed. ``cnsrwe kb --list`` lists the mutations in the knowledge base. Every output carries
the notice that this is an evidence lookup for research, never treatment advice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import polars as pl

_CONTEXT = {
    "component": "about one part of the compound, not the compound itself",
    "part_of_compound": "about a compound that contains this mutation",
    "any_alk_mutation": "about any ALK kinase-domain mutation",
}


def _value_text(row: dict[str, object]) -> str:
    if row["evidence_type"] == "in_vitro_IC50":
        if row["ic50_nM"] is None:
            return "IC50 not shown (unverified)" if row["verification"] != "verified" else ""
        return f"IC50 {row['ic50_nM']:g} nM"
    return str(row["observation"] or "")


def _evidence_line(row: dict[str, object]) -> str:
    label = "[verified]" if row["verification"] == "verified" else "[UNVERIFIED]"
    value = _value_text(row)
    parts = [f"  {row['row_id']}  {row['category']:<21} {row['evidence_type']}"]
    if value:
        parts.append(f"; {value}")
    parts.append(f"  {label}")
    source = str(row["source"])
    return "".join(parts) + f"\n      source: {source}"


def _text(query: str, rows: pl.DataFrame) -> str:
    import polars as pl

    from cnsrwe.resistance.kb import KB_VERSION, NOTICE, summarise_lookup

    out = [
        f"ALK {query}: evidence in the cnsrwe knowledge base {KB_VERSION}",
        f"NOTICE: {NOTICE}",
        "",
    ]
    if rows.is_empty():
        out.append("No row of the knowledge base is about this mutation itself.")
        return "\n".join(out)
    direct = rows.filter(pl.col("match").is_in(["exact", "group_member"]))
    if direct.is_empty():
        out.append("No row of the knowledge base is about this mutation itself.")
    for s in summarise_lookup(rows).iter_rows(named=True):
        ver = ", ".join(s["verified_categories"]) or "none"
        unver = ", ".join(s["unverified_categories"]) or "none"
        out.append(f"{s['drug']}: {s['activity']} (verified: {ver}; unverified: {unver})")
        for r in direct.filter(pl.col("drug") == s["drug"]).iter_rows(named=True):
            out.append(_evidence_line(r))
    context = rows.filter(~pl.col("match").is_in(["exact", "group_member"]))
    if context.height:
        out += ["", "Related evidence (not about this mutation alone):"]
        for r in context.iter_rows(named=True):
            out.append(f"{r['drug']}: {_CONTEXT[r['match']]} ({r['mutation']})")
            out.append(_evidence_line(r))
    out += ["", f"NOTICE: {NOTICE}"]
    return "\n".join(out)


def _listing() -> pl.DataFrame:
    import polars as pl

    from cnsrwe.resistance.kb import load_kb

    kb = load_kb()
    ver = pl.col("verification") == "verified"
    return (
        kb.group_by("mutation", "mutation_kind")
        .agg(
            ver.sum().cast(pl.Int64).alias("verified_rows"),
            (~ver).sum().cast(pl.Int64).alias("unverified_rows"),
            pl.col("drug").unique().sort().alias("drugs"),
        )
        .sort("mutation_kind", "mutation")
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("kb")
    def kb(
        mutation: Annotated[
            str | None,
            typer.Argument(help="ALK mutation, e.g. G1202R or G1202R+L1196M (compound)."),
        ] = None,
        drug: Annotated[
            str | None, typer.Option("--drug", help="Only this ALK inhibitor (name or alias).")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
        list_all: Annotated[
            bool, typer.Option("--list", help="List the mutations in the knowledge base.")
        ] = False,
    ) -> None:
        """Look up cited ALK mutation x inhibitor evidence (research use, not treatment advice)."""
        from cnsrwe.resistance.kb import KB_VERSION, NOTICE, lookup, summarise_lookup

        if fmt not in ("text", "json"):
            typer.echo(f"`--format` must be one of 'text', 'json', got {fmt!r}", err=True)
            raise typer.Exit(2)
        if list_all:
            table = _listing()
            if fmt == "json":
                listing = {"kb_version": KB_VERSION, "notice": NOTICE}
                listing["mutations"] = table.to_dicts()  # type: ignore[assignment]
                typer.echo(json.dumps(listing, indent=2))
                return
            typer.echo(f"Mutations in the cnsrwe knowledge base {KB_VERSION}")
            typer.echo(f"NOTICE: {NOTICE}")
            for r in table.iter_rows(named=True):
                typer.echo(
                    f"  {r['mutation']:<48} {r['mutation_kind']:<9}"
                    f" verified {r['verified_rows']:>2}, unverified {r['unverified_rows']:>2}"
                )
            return
        if mutation is None:
            typer.echo("give a MUTATION (e.g. G1202R) or --list", err=True)
            raise typer.Exit(2)
        try:
            rows = lookup(mutation, drug)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        query = rows["query"][0] if rows.height else mutation.strip()
        if fmt == "json":
            payload = {
                "query": query,
                "kb_version": KB_VERSION,
                "notice": NOTICE,
                "summary": summarise_lookup(rows).to_dicts(),
                "evidence": rows.to_dicts(),
            }
            typer.echo(json.dumps(payload, indent=2, default=str))
            return
        typer.echo(_text(query, rows))
