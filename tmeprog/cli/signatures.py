"""``tmeprog signatures``: the cited gene-signature catalogue and the method registry."""

from __future__ import annotations

import typer
from rich.table import Table

from tmeprog.cli.common import emit_json, fail, out
from tmeprog.errors import TmeprogError
from tmeprog.signatures import load_catalogue

signatures_app = typer.Typer(no_args_is_help=True, help="List the cited gene signatures "
                             "and methods.")


@signatures_app.command("list")
def signatures_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    compartment: str | None = typer.Option(None, "--compartment", "-c",
                                           help="Only this compartment (e.g. immune)."),
) -> None:
    """List every bundled signature: name, compartment, number of genes, reference."""
    try:
        cat = load_catalogue()
        names = cat.names(compartment)
        if compartment is not None and not names:
            raise TmeprogError(f"no signature in compartment '{compartment}'; compartments: "
                               f"{', '.join(cat.by_compartment())}.")
    except TmeprogError as exc:
        fail(exc)
    sigs = [cat.get(n) for n in names]
    if as_json:
        emit_json([{
            "name": s.name, "compartment": s.compartment, "n_genes": s.n_genes,
            "description": s.description, "source": s.source,
            "reference": s.reference.to_record() if s.reference else None,
            "references": [r.to_record() for r in s.references],
        } for s in sigs])
        return
    t = Table(title=f"tmeprog signatures ({len(sigs)}; fingerprint {cat.fingerprint()[:12]})")
    for col in ("name", "compartment", "genes", "reference", "doi"):
        t.add_column(col, no_wrap=col in ("name", "doi"))
    for s in sigs:
        ref = "; ".join(f"{r.label} (PMID {r.pmid})" for r in s.references) or "-"
        t.add_row(s.name, s.compartment, str(s.n_genes), ref,
                  s.reference.doi if s.reference and s.reference.doi else "-")
    out.print(t)


@signatures_app.command("methods")
def signatures_methods(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only this kind: scoring, "
                                                               "deconvolution or activity."),
) -> None:
    """List the scoring, deconvolution and pathway-activity methods with their references."""
    # deferred: tmeprog.features loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.features.registry import methods

    try:
        ms = methods(kind)
    except TmeprogError as exc:
        fail(exc)
    if as_json:
        emit_json([m.to_record() for m in ms])
        return
    t = Table(title=f"tmeprog methods ({len(ms)})")
    for col in ("name", "kind", "cohort-dependent", "what", "reference", "doi"):
        t.add_column(col, no_wrap=col in ("name", "doi"))
    for m in ms:
        t.add_row(m.name, m.kind, "yes (frozen at fit)" if m.cohort_dependent else "no",
                  m.summary, f"{m.reference.label} (PMID {m.reference.pmid})",
                  m.reference.doi or "-")
    out.print(t)
