#!/usr/bin/env Rscript
# Build tmeprog/cohorts/data/vdv_accessions.tsv.gz: the probe identifiers of the bundled van 't
# Veer 2002 cohort (SurvSet 'vdv': GenBank and RefSeq accessions, Rosetta contigs) mapped to
# Entrez gene ids, offline.
#
# Source: Bioconductor org.Hs.eg.db (the same release as gene_map.tsv.gz):
#   - RefSeq accessions (NM_, NR_ ...) through org.Hs.egREFSEQ2EG;
#   - GenBank nucleotide accessions through org.Hs.egACCNUM2EG.
# Rules:
#   - an identifier is upper-cased; the suffix "_RC" (the array's reverse-complement probe of an
#     EST) and a version suffix (".2") are dropped before the look-up;
#   - an accession linked to several Entrez genes is left out (ambiguous), as are accessions
#     org.Hs.eg.db does not know (the Rosetta "Contig..." assemblies have no public accession);
#   - the symbol column is informative only: tmeprog maps the Entrez id through gene_map.tsv.gz.
# The first lines of the output are '#' comments stating the source version and the counts.
#
# Usage: Rscript scripts/build_accession_map.R IDS_FILE [output path]
#   IDS_FILE: one identifier per line, e.g. written by
#   python -c "from tmeprog.cohorts.bundled import vdv_probe_ids; print(*vdv_probe_ids(), sep='\n')"

suppressPackageStartupMessages(library(org.Hs.eg.db))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: build_accession_map.R IDS_FILE [output]")
ids <- unique(trimws(readLines(args[[1]])))
ids <- ids[nzchar(ids)]
out <- if (length(args) >= 2) args[[2]] else file.path("tmeprog", "cohorts", "data",
                                                        "vdv_accessions.tsv.gz")

key <- sub("\\.[0-9]+$", "", sub("_RC$", "", toupper(ids)))
ref <- toTable(org.Hs.egREFSEQ)       # gene_id, accession
acc <- toTable(org.Hs.egACCNUM)       # gene_id, accession
links <- unique(rbind(data.frame(accession = toupper(ref$accession), gene_id = ref$gene_id),
                      data.frame(accession = toupper(acc$accession), gene_id = acc$gene_id)))
links <- links[links$accession %in% key, ]
n <- table(links$accession)
uniq <- links[links$accession %in% names(n)[n == 1], ]
sym <- toTable(org.Hs.egSYMBOL)
sym_of <- setNames(sym$symbol, sym$gene_id)

d <- data.frame(id = ids, accession = key, stringsAsFactors = FALSE)
d$entrez <- uniq$gene_id[match(d$accession, uniq$accession)]
d$symbol <- unname(sym_of[d$entrez])
d <- d[!is.na(d$entrez), ]
d <- d[order(d$id), ]

meta <- metadata(org.Hs.eg.db)
ver <- packageVersion("org.Hs.eg.db")
src <- meta$value[meta$name == "EGSOURCEDATE"]
con <- gzfile(out, "w")
writeLines(c(
  sprintf("# source: Bioconductor org.Hs.eg.db %s (Entrez Gene %s); REFSEQ and ACCNUM maps", ver,
          src),
  "# built by: scripts/build_accession_map.R",
  sprintf("# counts: identifiers=%d mapped=%d ambiguous=%d unknown=%d", length(ids), nrow(d),
          sum(key %in% names(n)[n > 1]), sum(!(key %in% links$accession)))
), con)
write.table(d, con, sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
cat("wrote", out, ":", nrow(d), "of", length(ids), "identifiers mapped\n")
