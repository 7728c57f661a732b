# Independent figures for the end-to-end release test (tests/app/test_release_against_r.py).
# Usage: Rscript release_reference.R DIR. DIR holds the wave's exported microdata (data.csv),
# the weight run's margins (margins.csv), the indicators (specs.csv), the cells to estimate
# (cells.csv) and the equality comparisons (comparisons.csv). Writes estimates.csv and
# differences.csv: raking with R's calibrate(), proportions with svymean and svyciprop's
# logit interval, each group against the rest of the base with svyratio + svycontrast. Intervals at 0% and 100% are NA
# (the logit interval does not exist there).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
num <- function(x) sprintf("%.17g", x)
split <- function(x) if (is.na(x) || x == "") character(0) else strsplit(x, "|", fixed = TRUE)[[1]]

dir <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(file.path(dir, "data.csv"), colClasses = "character", na.strings = character(0))
m <- read.csv(file.path(dir, "margins.csv"), colClasses = c("character", "character", "numeric"))
specs <- read.csv(file.path(dir, "specs.csv"), colClasses = "character", na.strings = character(0))
cells <- read.csv(file.path(dir, "cells.csv"), colClasses = "character", na.strings = character(0))
comparisons <- read.csv(file.path(dir, "comparisons.csv"), colClasses = "character", na.strings = character(0))

d$w0 <- as.numeric(d$base_weight)
vars <- unique(m$variable)
for (v in vars) {
  levels <- m$category[m$variable == v]
  d[[paste0("w_", v)]] <- factor(ifelse(d[[v]] %in% levels, d[[v]], "not_stated"), levels = levels)
}
total <- sum(d$w0)
des <- svydesign(ids = ~school_id, strata = ~borough, weights = ~w0, nest = TRUE, data = d)
population <- c(`(Intercept)` = total)
for (v in vars) {
  t <- m$proportion[m$variable == v] * total
  names(t) <- paste0("w_", v, m$category[m$variable == v])
  population <- c(population, t[-1])
}
formula <- as.formula(paste("~", paste(paste0("w_", vars), collapse = "+")))
cal <- calibrate(des, formula, population = population, calfun = "raking", epsilon = 1e-13, maxit = 1000)

member <- function(breakdown, group) {
  if (breakdown == "") return(rep(TRUE, nrow(d)))
  parts <- strsplit(breakdown, "_x_", fixed = TRUE)[[1]]
  value <- if (length(parts) == 2) paste(d[[parts[1]]], d[[parts[2]]], sep = "|") else d[[breakdown]]
  value == group
}
in_base <- function(spec) {
  answer <- d[[spec$question]]
  keep <- answer != "" & !(answer %in% split(spec$excluded))
  if (spec$filter_col != "") keep <- keep & d[[spec$filter_col]] %in% split(spec$filter_codes)
  keep
}

estimates <- list()
for (i in seq_len(nrow(cells))) {
  cell <- cells[i, ]
  spec <- specs[specs$key == cell$indicator, ]
  base <- in_base(spec)
  cal <- update(cal, y = as.numeric(d[[spec$question]] %in% split(spec$numerator)))
  sub <- subset(cal, base & member(cell$breakdown, cell$group))
  # svyciprop(method = "logit")'s interval, from svymean: its svyglm can diverge on a small
  # domain of a calibrated design (coefficient -1e15, reported as converged).
  mean <- svymean(~y, sub)
  p <- as.numeric(coef(mean))
  half <- qt(0.975, degf(sub)) * as.numeric(SE(mean)) / (p * (1 - p))
  estimates[[i]] <- data.frame(indicator = cell$indicator, breakdown = cell$breakdown,
    group = cell$group, estimate = num(p), ci_low = num(plogis(qlogis(p) - half)),
    ci_high = num(plogis(qlogis(p) + half)))
}
write.csv(do.call(rbind, estimates), file.path(dir, "estimates.csv"), row.names = FALSE)

differences <- list()
for (i in seq_len(nrow(comparisons))) {
  row <- comparisons[i, ]
  spec <- specs[specs$key == row$indicator, ]
  base <- in_base(spec)
  hit <- d[[spec$question]] %in% split(spec$numerator)
  group <- member(row$breakdown, row$group)
  cal <- update(cal, a = as.numeric(base & group), b = as.numeric(base & !group),
                ya = as.numeric(base & group & hit), yb = as.numeric(base & !group & hit))
  r <- svyratio(~ya + yb, ~a + b, cal, covmat = TRUE)
  contrast <- svycontrast(r, quote(`ya/a` - `yb/b`))
  df <- degf(subset(cal, base))
  estimate <- as.numeric(coef(contrast))
  se <- as.numeric(SE(contrast))
  q <- qt(0.975, df)
  differences[[i]] <- data.frame(indicator = row$indicator, breakdown = row$breakdown,
    group = row$group, difference = num(estimate), ci_low = num(estimate - q * se),
    ci_high = num(estimate + q * se), p_value = num(2 * pt(-abs(estimate / se), df)))
}
write.csv(do.call(rbind, differences), file.path(dir, "differences.csv"), row.names = FALSE)
