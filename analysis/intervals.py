"""Confidence intervals for proportions, all in one place (DESIGN §7.3).

``logit`` (default) and ``beta`` follow R's ``svyciprop``; ``wilson`` uses the effective
sample size. Inside (0, 1) every method takes the t quantile on the design degrees of freedom.

At the edges (p = 0 or 1, or a zero standard error) the design tells nothing about the
variance, so all three methods fall back to the same footing: the unweighted base as the
sample size and no design degrees of freedom. ``beta`` (and ``logit``, which has no interval
on the logit scale there) gives the Clopper–Pearson interval for that base; ``wilson`` gives
Wilson's interval for it with the normal quantile. Using the t quantile of a domain with one
or two degrees of freedom there would give absurd widths (e.g. [0, 0.93] for 0 of 12).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import stats
from scipy.special import expit, logit

METHODS = ("logit", "beta", "wilson")


@cache  # a release asks for the same few (level, df) pairs hundreds of times
def t_quantile(level: float, df: float) -> float:
    """Upper (1+level)/2 quantile of t with ``df`` degrees of freedom; NaN when df < 1."""
    return float(stats.t.ppf((1 + level) / 2, df)) if df >= 1 else float("nan")


def logit_interval(
    p: np.ndarray, se: np.ndarray, df: float, level: float, n_base: int
) -> tuple[np.ndarray, np.ndarray]:
    """``expit(logit(p) ± t·se/(p(1-p)))``, as ``svyciprop(method="logit")``.

    At p = 0 or 1 the logit scale has no interval, so those fall back to ``beta``.
    """
    p, se = np.asarray(p, float), np.asarray(se, float)
    inside = (p > 0) & (p < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t_quantile(level, df) * se / (p * (1 - p))
        centre = logit(np.clip(p, 1e-300, 1 - 1e-16))
        low, high = expit(centre - half), expit(centre + half)
    if not inside.all():
        edge_low, edge_high = beta_interval(p, se, df, level, n_base, n_base)
        low, high = np.where(inside, low, edge_low), np.where(inside, high, edge_high)
    return low, high


def beta_interval(
    p: np.ndarray, se: np.ndarray, df: float, level: float, n_rows: int, n_base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Korn–Graubard, as ``svyciprop(method="beta")``.

    n_eff = p(1-p)/se² × (t(α/2, N-1)/t(α/2, df))², N = rows of the design. Where p is 0 or 1
    (or se is 0) the effective size is undefined and the unweighted base ``n_base`` is used,
    giving the Clopper–Pearson interval for that base.
    """
    p, se = np.asarray(p, float), np.asarray(se, float)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / se**2
        if df >= 1 and n_rows > 1:
            n_eff = n_eff * (stats.t.ppf(alpha / 2, n_rows - 1) / stats.t.ppf(alpha / 2, df)) ** 2
        else:
            n_eff = np.full_like(p, np.nan)
    n_eff = np.where((p <= 0) | (p >= 1) | (se <= 0), float(n_base), n_eff)
    with np.errstate(invalid="ignore"):
        low = np.where(p <= 0, 0.0, stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
        high = np.where(p >= 1, 1.0, stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    return low, high


def wilson_interval(
    p: np.ndarray, se: np.ndarray, df: float, level: float, n_base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval on the effective sample size p(1-p)/se² with the t quantile;
    at the edges on the unweighted base ``n_base`` with the normal quantile (module docstring)."""
    p, se = np.asarray(p, float), np.asarray(se, float)
    edge = (p <= 0) | (p >= 1) | (se <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(edge, float(n_base), p * (1 - p) / se**2)
        z = np.where(edge, stats.norm.ppf((1 + level) / 2), t_quantile(level, df))
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low = np.where(p <= 0, 0.0, np.clip(centre - half, 0, 1))  # exactly, not 1e-17
    return low, np.where(p >= 1, 1.0, np.clip(centre + half, 0, 1))


def confidence_interval(
    method: str, p: np.ndarray, se: np.ndarray, df: float, level: float, n_rows: int, n_base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dispatches to the named method; ``level`` is the coverage, e.g. 0.95."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    if method == "logit":
        return logit_interval(p, se, df, level, n_base)
    if method == "beta":
        return beta_interval(p, se, df, level, n_rows, n_base)
    if method == "wilson":
        return wilson_interval(p, se, df, level, n_base)
    raise ValueError(f"unknown CI method '{method}'; choose one of {', '.join(METHODS)}")
