# Times R survey's rake() and calibration-aware svyby estimates for bench_weighting.py.
# Usage: Rscript bench_r.R DATA.csv MARGINS.csv REPEATS MODE   (MODE: rake | estimate)
# Prints one line per repeat: "seconds <elapsed>", then "peak_mb <max memory used by R>".
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = "character")
m <- read.csv(args[2], colClasses = c("character", "character", "numeric"))
repeats <- as.integer(args[3])
vars <- unique(m$variable)
for (v in vars) d[[v]] <- factor(d[[v]], levels = m$category[m$variable == v])
d$w <- 1
n <- nrow(d)
des <- svydesign(ids = ~school, strata = ~borough, weights = ~w, nest = TRUE, data = d)
pop_tables <- lapply(vars, function(v) {
  t <- data.frame(m$category[m$variable == v], m$proportion[m$variable == v] * n)
  names(t) <- c(v, "Freq")
  t
})
formulas <- lapply(vars, function(v) as.formula(paste("~", v)))
population <- c(`(Intercept)` = n)
for (v in vars) {
  t <- m$proportion[m$variable == v] * n
  names(t) <- paste0(v, m$category[m$variable == v])
  population <- c(population, t[-1])
}
invisible(gc(reset = TRUE))
for (r in seq_len(repeats)) {
  if (args[4] == "rake") {
    elapsed <- system.time(rake(des, formulas, pop_tables, control = list(maxit = 100, epsilon = 1e-10)))[["elapsed"]]
  } else {
    cal <- calibrate(des, as.formula(paste("~", paste(vars, collapse = "+"))), population = population, calfun = "raking", epsilon = 1e-10)
    elapsed <- system.time(svyby(~outcome, ~group, cal, svymean))[["elapsed"]]
  }
  cat("seconds", elapsed, "\n")
}
cat("peak_mb", sum(gc()[, 6]), "\n")
