"""``tmeprog cohorts``: list, show and fetch cohorts."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from tmeprog.cli import common
from tmeprog.cli.common import cell, emit_json, fail, load_input, out, say
from tmeprog.errors import TmeprogError

cohorts_app = typer.Typer(no_args_is_help=True, help="List, inspect and fetch cohorts.")


@cohorts_app.command("list")
def cohorts_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every registered cohort (bundled offline ones and downloadable ones)."""
    # deferred: the cohort registry loads pandas, kept out of `tmeprog --help`
    from tmeprog.cohorts.registry import cohort_names, describe

    try:
        recs = [describe(n) for n in cohort_names()]
    except TmeprogError as exc:
        fail(exc)
    if as_json:
        emit_json(recs)
        return
    t = Table(title="tmeprog cohorts")
    for col in ("name", "samples", "genes", "endpoints", "offline", "cached", "source"):
        t.add_column(col)
    for r in recs:
        t.add_row(cell(r["name"]), str(r["n_samples"] or "-"), str(r["n_genes"] or "-"),
                  ",".join(r["endpoints"]) or "-", "yes" if r["offline"] else "no",
                  "yes" if r["cached"] else "no", cell(r["source"] or r["description"]))
    out.print(t)


@cohorts_app.command("show")
@common.input_options("clinical", "scale", "orientation", "annotation", "kind",
                      "allow_missing_covariates")
def cohorts_show(
    name: str = typer.Argument(..., help="Cohort name or file path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    **inputs,
) -> None:
    """Show one cohort: sizes, clinical covariates, what each endpoint is, provenance."""
    from tmeprog.pipeline.assemble import auto_endpoint  # deferred: loads pandas

    try:
        cohort = load_input(name, **inputs)
        info = cohort.summary()
    except TmeprogError as exc:
        fail(exc)
    info["pipeline_endpoint"] = auto_endpoint(cohort)
    if as_json:
        emit_json(info)
        return
    out.print(f"[bold]{escape(info['name'])}[/]: {info['n_samples']} samples, "
              f"{info['n_genes']} genes")
    for key in ("source", "platform", "scale", "citation", "licence", "description"):
        say(f"  {key}: {info[key]}")
    say(f"  clinical: {', '.join(info['clinical']) or '-'}")
    for ep, d in info["endpoints"].items():
        extra = (f"{d['n']} patients, {d['events']} events, median follow-up "
                 f"{d['median_follow_up_months']:.1f} months" if d["kind"] == "survival"
                 else f"{d['n']} patients, {d['positives']} positive")
        say(f"  endpoint {ep}: {d['definition']} ({extra})")
    if info["pipeline_endpoint"]:
        out.print(f"  modelled endpoint with \\[data] endpoint = 'auto': "
                  f"{info['pipeline_endpoint']} (pooling it with other endpoints needs "
                  "\\[data] pool_endpoints = true)", highlight=False)
    for line in info["report"]:
        out.print(f"  [dim]{escape(str(line))}[/]", highlight=False)


@cohorts_app.command("fetch")
def cohorts_fetch(name: str = typer.Argument(..., help="Downloadable cohort name.")) -> None:
    """Download a public cohort into the cache folder (TMEPROG_DATA_DIR, default ./data)."""
    from tmeprog.cohorts.registry import get_entry  # deferred: the registry loads pandas

    try:
        entry = get_entry(name)
        if entry.fetch is None:
            out.print(f"{entry.name} is bundled offline; nothing to fetch.")
            return
        entry.fetch()
    except TmeprogError as exc:
        fail(exc)
    out.print(f"{entry.name}: cached.")
