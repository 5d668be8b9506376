"""Write the input of the GSVA ssGSEA parity fixture (tests/fixtures/gsva/).

A deterministic subset of the bundled cohort gse3143 (all 158 samples; every signature gene
present plus evenly spaced other genes, 2,000 in total, in the cohort's column order) as a
gzipped genes x samples TSV with shortest round-trip decimals, and ten hand-picked gene sets
as GMT (a few of their genes are absent on purpose: both GSVA and tmeprog ignore them).

Rerun (then run scripts/gsva_fixture.R):

    python scripts/gsva_fixture_input.py
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from tmeprog.cohorts import load_cohort

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gsva"
N_GENES = 2000

GENE_SETS = {
    "T_cells": "CD2 CD3D CD3E CD3G CD8A CD8B CD247 LCK ZAP70 CD5 CD6 CD28 ITK TRAT1 SH2D1A",
    "cytotoxic": "GZMA GZMB GZMH GZMK PRF1 NKG7 GNLY KLRD1 KLRB1 KLRK1 CST7 CTSW",
    "B_cells": "CD19 CD79A CD79B MS4A1 CD22 BLK BANK1 FCRL2 PAX5 TCL1A VPREB3 CD72",
    "myeloid": "CD14 CD68 CD163 CSF1R FCGR1A MSR1 MRC1 ITGAM AIF1 CD86 C1QA C1QB TYROBP FCER1G "
               "LYZ",
    "interferon": "STAT1 IRF1 CXCL9 CXCL10 CXCL11 IDO1 GBP1 ISG15 MX1 OAS1 IFI44L IFIT1 IFIT3 "
                  "RSAD2",
    "CAF_stroma": "COL1A1 COL1A2 COL3A1 COL5A1 COL5A2 FAP PDGFRB ACTA2 THY1 SPARC DCN LUM POSTN "
                  "FN1 MMP2 VCAN",
    "endothelial": "PECAM1 VWF CDH5 KDR TEK ENG CD34 ESAM TIE1 CLEC14A ROBO4 EMCN",
    "proliferation": "MKI67 TOP2A CCNB1 BUB1 CDK1 AURKA BIRC5 CCNE1 MCM2 PCNA TYMS RRM2 CENPF "
                     "MYBL2 UBE2C",
    "ER_luminal": "ESR1 PGR GATA3 FOXA1 XBP1 TFF1 TFF3 AGR2 SCUBE2 NAT1 MLPH",
    "hypoxia": "CA9 VEGFA SLC2A1 PGK1 LDHA ENO1 ALDOA BNIP3 NDRG1 P4HA1 ADM ANKRD37",
}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main() -> None:
    expr = load_cohort("gse3143").expression
    sets = {k: v.split() for k, v in GENE_SETS.items()}
    wanted = {g for genes in sets.values() for g in genes if g in expr.columns}
    rest = [g for g in expr.columns if g not in wanted]
    pick = np.linspace(0, len(rest) - 1, N_GENES - len(wanted)).round().astype(int)
    chosen = wanted | {rest[i] for i in pick}
    sub = expr.loc[:, [g for g in expr.columns if g in chosen]]

    lines = ["gene\t" + "\t".join(map(str, sub.index))]
    for gene, col in sub.items():
        lines.append(gene + "\t" + "\t".join(repr(float(v)) for v in col.to_numpy()))
    OUT.mkdir(parents=True, exist_ok=True)
    _write_atomic(OUT / "gse3143_subset.tsv.gz",
                  gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    gmt = "".join(f"{k}\thand-picked markers\t" + "\t".join(v) + "\n" for k, v in sets.items())
    _write_atomic(OUT / "gene_sets.gmt", gmt.encode())
    print(f"wrote {sub.shape[1]} genes x {sub.shape[0]} samples and {len(sets)} gene sets to "
          f"{OUT}")


if __name__ == "__main__":
    main()
