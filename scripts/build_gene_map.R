#!/usr/bin/env Rscript
# Build tmeprog/cohorts/data/gene_map.tsv.gz: identifier -> current HGNC symbol, offline.
#
# Source: Bioconductor org.Hs.eg.db (NCBI Gene based). Columns of the output:
#   id      upper-cased identifier (symbol, alias, Ensembl gene id, or Entrez gene id)
#   kind    symbol | alias | ensembl | entrez | ambiguous
#   symbol  the current symbol (for 'ambiguous': the candidate symbols joined by '|')
# Rules:
#   - every current symbol (org.Hs.egSYMBOL) has a 'symbol' row; matching is case-insensitive
#     through the upper-cased id, the output keeps the official spelling (C1orf112);
#   - an alias that is also a current symbol (case-insensitively) is never listed as an alias;
#   - an alias (or Ensembl id) pointing to several current symbols is 'ambiguous' (unmapped);
#   - identifiers are written sorted by kind then id, which keeps the gzip small.
# The first lines of the file are '#' comments stating the source version and the counts.
#
# Usage: Rscript scripts/build_gene_map.R [output path]

suppressPackageStartupMessages(library(org.Hs.eg.db))

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[[1]] else file.path("tmeprog", "cohorts", "data",
                                                        "gene_map.tsv.gz")

sym <- toTable(org.Hs.egSYMBOL)            # gene_id, symbol
ali <- toTable(org.Hs.egALIAS2EG)          # gene_id, alias_symbol
ens <- toTable(org.Hs.egENSEMBL)           # gene_id, ensembl_id

sym$key <- toupper(sym$symbol)
cur <- unique(sym[, c("key", "symbol")])   # a few symbols (tRNA genes) name several genes
if (anyDuplicated(cur$key)) {
  stop("distinct current symbols collide when upper-cased: ",
       paste(head(cur$key[duplicated(cur$key)]), collapse = ", "))
}
sym_of <- setNames(sym$symbol, sym$gene_id)

# Map many identifiers to symbols; split into unique (mapped) and ambiguous.
resolve <- function(ids, gene_ids, kind) {
  d <- unique(data.frame(id = ids, symbol = unname(sym_of[gene_ids]),
                         stringsAsFactors = FALSE))
  d <- d[!is.na(d$symbol), ]
  n <- table(d$id)
  uniq <- d[d$id %in% names(n)[n == 1], ]
  amb_ids <- names(n)[n > 1]
  amb <- data.frame(id = amb_ids,
                    symbol = vapply(amb_ids, function(i)
                      paste(sort(d$symbol[d$id == i]), collapse = "|"), ""),
                    stringsAsFactors = FALSE)
  list(unique = data.frame(id = uniq$id, kind = rep(kind, nrow(uniq)), symbol = uniq$symbol,
                           stringsAsFactors = FALSE),
       ambiguous = data.frame(id = amb$id, kind = rep("ambiguous", nrow(amb)),
                              symbol = amb$symbol, stringsAsFactors = FALSE))
}

ali$key <- toupper(ali$alias_symbol)
ali <- ali[!(ali$key %in% sym$key), ]     # current symbols are never remapped
a <- resolve(ali$key, ali$gene_id, "alias")

ens$key <- toupper(ens$ensembl_id)
e <- resolve(ens$key, ens$gene_id, "ensembl")

tab <- rbind(
  data.frame(id = cur$key, kind = "symbol", symbol = cur$symbol, stringsAsFactors = FALSE),
  a$unique,
  e$unique,
  data.frame(id = sym$gene_id, kind = "entrez", symbol = sym$symbol, stringsAsFactors = FALSE),
  a$ambiguous,
  e$ambiguous
)
kind_order <- c(symbol = 1, alias = 2, ensembl = 3, entrez = 4, ambiguous = 5)
tab <- tab[order(kind_order[tab$kind], tab$id), ]

version <- as.character(packageVersion("org.Hs.eg.db"))
meta <- metadata(org.Hs.eg.db)
src_date <- meta$value[meta$name == "EGSOURCEDATE"]
ens_date <- meta$value[meta$name == "ENSOURCEDATE"]
header <- c(
  sprintf("# source: Bioconductor org.Hs.eg.db %s (Entrez Gene %s; Ensembl %s)",
          version, src_date, ens_date),
  "# built by: scripts/build_gene_map.R",
  sprintf("# counts: symbol=%d alias=%d ensembl=%d entrez=%d ambiguous_alias=%d ambiguous_ensembl=%d",
          nrow(cur), nrow(a$unique), nrow(e$unique), nrow(sym), nrow(a$ambiguous),
          nrow(e$ambiguous))
)

dir.create(dirname(out), showWarnings = FALSE, recursive = TRUE)
tmp <- paste0(out, ".tmp")
con <- gzfile(tmp, "w", compression = 9)
writeLines(header, con)
write.table(tab, con, sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
invisible(file.rename(tmp, out))
cat(header, sep = "\n")
cat(sprintf("wrote %s (%d rows)\n", out, nrow(tab)))
