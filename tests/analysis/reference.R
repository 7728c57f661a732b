# Reference values from R's survey package for the differential tests of analysis/.
# Usage: Rscript reference.R DIR   (DIR holds case_*/ folders written by tests/analysis/cases.py)
# Each case folder has data.csv, margins.csv, specs.csv; this writes weights.csv and results.csv.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")

num <- function(x) sprintf("%.17g", x)

run_case <- function(dir) {
  d <- read.csv(file.path(dir, "data.csv"), colClasses = "character", na.strings = character(0))
  m <- read.csv(file.path(dir, "margins.csv"), colClasses = c("character", "character", "numeric", "numeric"))
  specs <- read.csv(file.path(dir, "specs.csv"), colClasses = "character", na.strings = character(0))
  d$base <- as.numeric(d$base)
  vars <- unique(m$variable)
  for (v in vars) d[[v]] <- factor(d[[v]], levels = m$category[m$variable == v])
  counts <- !all(is.na(m$count))
  total <- if (counts) sum(m$count[m$variable == vars[1]]) else sum(d$base)
  # Scale base weights to the target total first: calibrate(raking) with count targets can fail
  # to converge otherwise (DESIGN 7.2); scaling changes neither the solution nor the residuals.
  d$w0 <- d$base * total / sum(d$base)
  des <- svydesign(ids = ~school, strata = ~borough, weights = ~w0, nest = TRUE, data = d)
  targets <- function(v) if (counts) m$count[m$variable == v] else m$proportion[m$variable == v] * total
  population <- c(`(Intercept)` = total)
  for (v in vars) {
    t <- targets(v)
    lv <- m$category[m$variable == v]
    names(t) <- paste0(v, lv)
    population <- c(population, t[-1])
  }
  formula <- as.formula(paste("~", paste(vars, collapse = "+")))
  cal <- calibrate(des, formula, population = population, calfun = "raking", epsilon = 1e-13, maxit = 1000)
  write.csv(data.frame(weight = num(weights(cal))), file.path(dir, "weights.csv"), row.names = FALSE)

  rows <- list()
  for (s in seq_len(nrow(specs))) {
    sp <- specs[s, ]
    y <- d[[sp$outcome]]
    keep <- y != ""
    if (sp$where_col != "") keep <- keep & d[[sp$where_col]] == sp$where_val
    if (sp$by_col != "") keep <- keep & d[[sp$by_col]] == sp$by_val
    if (!any(keep)) next
    sub <- subset(cal, keep)
    for (category in sort(unique(y[keep]))) {
      sub <- update(sub, hit = as.numeric(get(sp$outcome) == category))
      mean <- svymean(~hit, sub)
      # The design effect's SRS variance divides by n - 1, so R errors on a one-respondent domain.
      deff <- tryCatch(deff(svymean(~hit, sub, deff = "replace")), error = function(e) NA)
      beta <- tryCatch(svyciprop(~hit, sub, method = "beta"), error = function(e) NA)
      logit <- tryCatch(svyciprop(~hit, sub, method = "logit"), error = function(e) NA)
      ci_beta <- if (length(beta) == 1 && is.na(beta)) c(NA, NA) else attr(beta, "ci")
      ci_logit <- if (length(logit) == 1 && is.na(logit)) c(NA, NA) else attr(logit, "ci")
      rows[[length(rows) + 1]] <- data.frame(
        spec = s - 1, category = category, estimate = num(coef(mean)), se = num(SE(mean)),
        deff = num(deff), df = degf(sub), n = sum(keep), nrow = nrow(sub),
        logit_p = num(if (length(logit) == 1 && is.na(logit)) NA else as.numeric(logit)),
        logit_low = num(ci_logit[1]), logit_high = num(ci_logit[2]),
        beta_low = num(ci_beta[1]), beta_high = num(ci_beta[2]))
    }
  }
  write.csv(do.call(rbind, rows), file.path(dir, "results.csv"), row.names = FALSE)

  # Contrasts between domains of the aware pupils, as ratios over the full calibrated design
  # (svyby(covmat=TRUE) fails on subsets of calibrated designs): Black - White, Black / White
  # and Black - everyone else.
  inbase <- d$felt != "" & d$aware == "yes"
  contrasts <- list()
  for (category in sort(unique(d$felt[d$felt != ""]))) {
    hit <- d$felt == category
    for (what in c("difference", "ratio", "rest")) {
      other <- if (what == "rest") d$eth != "Black" else d$eth == "White"
      cal <- update(cal, a = as.numeric(inbase & d$eth == "Black"), b = as.numeric(inbase & other),
                    ya = as.numeric(inbase & d$eth == "Black" & hit), yb = as.numeric(inbase & other & hit))
      r <- svyratio(~ya + yb, ~a + b, cal, covmat = TRUE)
      c <- if (what == "ratio") svycontrast(r, quote(`ya/a` / `yb/b`)) else svycontrast(r, quote(`ya/a` - `yb/b`))
      contrasts[[length(contrasts) + 1]] <- data.frame(
        category = category, contrast = what, estimate = num(coef(c)), se = num(SE(c)))
    }
  }
  write.csv(do.call(rbind, contrasts), file.path(dir, "contrasts.csv"), row.names = FALSE)
}

args <- commandArgs(trailingOnly = TRUE)
for (dir in list.dirs(args[1], recursive = FALSE)) {
  withCallingHandlers(run_case(dir), error = function(e) message("while running ", basename(dir)))
}
