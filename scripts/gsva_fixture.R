#!/usr/bin/env Rscript
# GSVA ssGSEA parity fixture for tmeprog.features.ssgsea (tests/features/test_ssgsea.py).
#
# Input  (written by scripts/gsva_fixture_input.py from the bundled cohort gse3143):
#   tests/fixtures/gsva/gse3143_subset.tsv.gz   genes x samples, 2,000 genes x 158 samples
#   tests/fixtures/gsva/gene_sets.gmt            ten hand-picked gene sets
# Output:
#   tests/fixtures/gsva/gsva_ssgsea_scores.tsv   gene sets x samples, 17 significant digits
#   tests/fixtures/gsva/gsva_gsva_scores.tsv     the same for method = "gsva" (below)
#   tests/fixtures/gsva/VERSIONS                 R and GSVA versions that produced it
#
# Scores are GSVA's ssGSEA enrichment scores without the final normalisation
# (method = "ssgsea", ssgsea.norm = FALSE, tau = 0.25; the GSVA 1.46 interface), and GSVA
# scores for tmeprog.features.gsva (tests/features/test_gsva.py): method = "gsva",
# kcdf = "Gaussian", mx.diff = TRUE, tau = 1, abs.ranking = FALSE (GSVA's defaults).
#
# Rerun from the repository root (R with Bioconductor's GSVA installed):
#   python scripts/gsva_fixture_input.py
#   Rscript scripts/gsva_fixture.R

suppressPackageStartupMessages(library(GSVA))

dir <- file.path("tests", "fixtures", "gsva")
path <- file.path(dir, "gse3143_subset.tsv.gz")
con <- gzfile(path)
n_col <- length(strsplit(readLines(con, n = 1), "\t", fixed = TRUE)[[1]])
close(con)
expr <- read.delim(gzfile(path), row.names = 1, check.names = FALSE,
                   colClasses = c("character", rep("numeric", n_col - 1)))
expr <- as.matrix(expr)
stopifnot(!anyNA(expr), !anyDuplicated(rownames(expr)))

gmt <- strsplit(readLines(file.path(dir, "gene_sets.gmt")), "\t", fixed = TRUE)
gsets <- lapply(gmt, function(x) x[-(1:2)])
names(gsets) <- vapply(gmt, `[`, "", 1)

es <- gsva(expr, gsets, method = "ssgsea", ssgsea.norm = FALSE, tau = 0.25,
           min.sz = 1, max.sz = Inf, verbose = FALSE)

write_scores <- function(es, name) {
  out <- cbind(gene_set = rownames(es),
               apply(es, 2, function(v) sprintf("%.17g", v)))
  tmp <- file.path(dir, paste0(name, ".tmp"))
  write.table(out, tmp, sep = "\t", quote = FALSE, row.names = FALSE)
  invisible(file.rename(tmp, file.path(dir, name)))
}
write_scores(es, "gsva_ssgsea_scores.tsv")

gs <- gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, tau = 1,
           abs.ranking = FALSE, min.sz = 1, max.sz = Inf, verbose = FALSE)
write_scores(gs, "gsva_gsva_scores.tsv")
writeLines(c(R.version.string, paste("GSVA", as.character(packageVersion("GSVA")))),
           file.path(dir, "VERSIONS"))
cat("wrote", nrow(es), "gene sets x", ncol(es), "samples\n")
