# The peer of bench_results.py: R survey on the exported microdata of the same wave.
# Usage: Rscript bench_results_peer.R WAVE.csv (with WAVE.margins.csv and WAVE.specs.json).
# Prints one JSON line of timings: read, calibrate, svyby, compute (= calibrate + svyby).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
path <- commandArgs(trailingOnly = TRUE)[1]
t0 <- Sys.time()
d <- read.csv(path, colClasses = "character", na.strings = character(0))
m <- read.csv(sub("\\.csv$", ".margins.csv", path), colClasses = c("character", "character", "numeric", "numeric", "character"))
specs_text <- readLines(sub("\\.csv$", ".specs.json", path))
t1 <- Sys.time()
d$w0 <- as.numeric(d$base_weight)
vars <- unique(m$variable)
for (v in vars) {
  levels <- c(m$category[m$variable == v], "not_stated")
  d[[paste0("w_", v)]] <- factor(ifelse(d[[v]] %in% levels, d[[v]], "not_stated"), levels = levels)
}
total <- sum(d$w0)
population <- c(`(Intercept)` = total)
for (v in vars) {
  share <- mean(d[[paste0("w_", v)]] != "not_stated")
  t <- c(m$proportion[m$variable == v] * share, 1 - share) * total
  names(t) <- paste0("w_", v, c(m$category[m$variable == v], "not_stated"))
  keep <- if (share < 1) t[-1] else t[-c(1, length(t))]
  population <- c(population, keep)
}
for (v in vars) d[[paste0("w_", v)]] <- droplevels(d[[paste0("w_", v)]])  # no unused "not_stated"
des <- svydesign(ids = ~school_id, strata = ~borough, weights = ~w0, nest = TRUE, data = d)
formula <- as.formula(paste("~", paste(paste0("w_", vars), collapse = "+")))
cal <- calibrate(des, formula, population = population, calfun = "raking", epsilon = 1e-8, maxit = 200)
t2 <- Sys.time()
# Indicators as in the app: share choosing the numerator among those who answered (and meet the
# filter), by every single breakdown and the two intersections.
keys <- regmatches(specs_text, gregexpr('"key": "[^"]*"', specs_text))[[1]]
questions <- regmatches(specs_text, gregexpr('"question": "[^"]*"', specs_text))[[1]]
numerators <- regmatches(specs_text, gregexpr('"numerator": "[^"]*"', specs_text))[[1]]
fcols <- regmatches(specs_text, gregexpr('"filter_col": "[^"]*"', specs_text))[[1]]
fcodes <- regmatches(specs_text, gregexpr('"filter_codes": "[^"]*"', specs_text))[[1]]
value <- function(x) sub('^"[^"]*": "(.*)"$', "\\1", x)
d$ethnic_group_x_gender <- paste(d$ethnic_group, d$gender)
d$ethnic_group_x_send <- paste(d$ethnic_group, d$send)
cal <- update(cal, ethnic_group_x_gender = d$ethnic_group_x_gender, ethnic_group_x_send = d$ethnic_group_x_send)
breakdowns <- c("ethnic_group", "ethnicity", "send", "gender", "year_group", "borough",
                "ethnic_group_x_gender", "ethnic_group_x_send")
tables <- 0
for (i in seq_along(keys)) {
  q <- value(questions[i]); num <- strsplit(value(numerators[i]), "|", fixed = TRUE)[[1]]
  base <- d[[q]] != ""
  if (value(fcols[i]) != "") base <- base & d[[value(fcols[i])]] %in% strsplit(value(fcodes[i]), "|", fixed = TRUE)[[1]]
  cal <- update(cal, y = as.numeric(d[[q]] %in% num))
  sub <- subset(cal, base)
  svymean(~y, sub)
  for (b in breakdowns) {
    svyby(~y, as.formula(paste0("~", b)), sub, svymean)
    tables <- tables + 1
  }
}
t3 <- Sys.time()
secs <- function(a, b) as.numeric(difftime(b, a, units = "secs"))
cat(sprintf('{"read": %.3f, "calibrate": %.3f, "svyby": %.3f, "compute": %.3f, "tables": %d}\n',
            secs(t0, t1), secs(t1, t2), secs(t2, t3), secs(t1, t3), tables))
