#!/usr/bin/env Rscript
# Reference values of Harrell's concordance from R's survival::concordance, for the tests of
# tmeprog.models.metrics.harrell_c (R is not needed to run the tests, only to rebuild this file).
#
# Usage (from the repository root):  Rscript scripts/concordance_fixture.R
# Writes tests/models/fixtures/concordance_data.csv      (set, time, event, risk)
#        tests/models/fixtures/concordance_expected.csv  (set, concordance and pair counts)
#
# The sets cover: continuous risk without ties; integer times with many tied times (event/event
# and event/censored); rounded risk scores with tied predictions; heavy censoring.
suppressPackageStartupMessages(library(survival))

set.seed(20240611)
make_set <- function(name, n, time_digits, risk_digits, cens_rate) {
  risk <- rnorm(n)
  t_event <- rexp(n, rate = 0.02 * exp(0.7 * risk))
  t_cens <- rexp(n, rate = cens_rate)
  time <- pmax(pmin(t_event, t_cens), 0.5)
  event <- as.integer(t_event <= t_cens)
  data.frame(set = name, time = round(time, time_digits), event = event,
             risk = round(risk + rnorm(n, sd = 0.8), risk_digits))
}
d <- rbind(
  make_set("continuous", 80, 6, 6, 0.01),
  make_set("tied_times", 120, 0, 6, 0.015),
  make_set("tied_risk", 100, 1, 0, 0.01),
  make_set("heavy_censoring", 90, 0, 1, 0.05)
)

expected <- do.call(rbind, lapply(split(d, d$set), function(s) {
  # reverse = TRUE: larger risk predicts shorter survival (a risk score)
  cc <- concordance(Surv(time, event) ~ risk, data = s, reverse = TRUE)
  k <- cc$count
  data.frame(set = s$set[1], concordance = unname(cc$concordance),
             concordant = unname(k["concordant"]), discordant = unname(k["discordant"]),
             tied_risk = unname(k["tied.x"]), tied_time = unname(k["tied.y"]),
             tied_both = unname(k["tied.xy"]))
}))

dir.create("tests/models/fixtures", showWarnings = FALSE, recursive = TRUE)
write.csv(d, "tests/models/fixtures/concordance_data.csv", row.names = FALSE)
write.csv(expected, "tests/models/fixtures/concordance_expected.csv", row.names = FALSE)
cat(sprintf("survival %s: wrote %d rows in %d sets\n", packageVersion("survival"), nrow(d),
            nrow(expected)))
