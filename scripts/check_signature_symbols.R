#!/usr/bin/env Rscript
# Check that every gene of the bundled signature catalogue is a current HGNC symbol.
#
# Source of truth: Bioconductor org.Hs.eg.db (NCBI Gene based), the same package that
# scripts/build_gene_map.R uses, so the catalogue and the cohort gene map agree.
# For each gene of tmeprog/signatures/data/catalogue.json the script prints one line when the
# gene is NOT a current symbol:
#   <signature> <gene> alias -> <current symbol>      (an outdated alias with one current symbol)
#   <signature> <gene> ambiguous -> <a>|<b>           (an alias of several genes)
#   <signature> <gene> unknown                        (neither symbol nor alias: withdrawn)
# and exits with status 1 if any line was printed. It was run when the catalogue was authored
# (published symbols were updated and the updates recorded in each signature's 'renamed' map).
#
# Usage: Rscript scripts/check_signature_symbols.R [catalogue.json]

suppressPackageStartupMessages({
  library(org.Hs.eg.db)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[[1]] else file.path("tmeprog", "signatures", "data",
                                                         "catalogue.json")
cat_json <- fromJSON(path, simplifyVector = FALSE)

sym <- toTable(org.Hs.egSYMBOL)
ali <- toTable(org.Hs.egALIAS2EG)
current <- unique(sym$symbol)
sym_of <- setNames(sym$symbol, sym$gene_id)
alias_to <- split(unname(sym_of[ali$gene_id]), ali$alias_symbol)

bad <- 0L
for (s in cat_json$signatures) {
  for (g in unlist(s$genes)) {
    if (g %in% current) next
    bad <- bad + 1L
    hits <- unique(na.omit(alias_to[[g]]))
    if (length(hits) == 1) {
      cat(s$name, g, "alias ->", hits, "\n")
    } else if (length(hits) > 1) {
      cat(s$name, g, "ambiguous ->", paste(hits, collapse = "|"), "\n")
    } else {
      cat(s$name, g, "unknown\n")
    }
  }
}
cat(sprintf("org.Hs.eg.db %s: %d gene entries are not current symbols\n",
            as.character(packageVersion("org.Hs.eg.db")), bad))
quit(status = if (bad > 0) 1L else 0L)
