"""Raking (iterative proportional fitting) of base weights to population margins (DESIGN §7.1)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cells import Cells, group_cells
from analysis.errors import AnalysisInputError
from analysis.margins import Margin, category_codes, check_present, parse_margins


@dataclass
class RakeResult:
    """Weights and the report a reader needs to trust them.

    Attributes
    ----------
    weights : pd.Series
        Final weights, aligned to the input frame's index.
    converged : bool
        Whether every weighted margin came within ``tol`` (relative) of its target.
    iterations : int
        Full sweeps over the margins.
    max_error : float
        Largest relative difference between a weighted margin and its target.
    worst : tuple[str, str]
        The variable and category with that largest difference.
    diagnostics : dict
        Weight min/max/mean, Kish design effect ``n·Σw²/(Σw)²`` and effective sample size.
    diverged : str
        The margin whose step made the weights diverge, when the sample cannot meet the
        margins together; empty otherwise.
    """

    weights: pd.Series
    converged: bool
    iterations: int
    max_error: float
    worst: tuple[str, str]
    diagnostics: dict[str, float] = field(default_factory=dict)
    diverged: str = ""

    def problem(self) -> str:
        """Why these weights must not be used, in one sentence; empty when they converged."""
        if self.converged:
            return ""
        off = f"margin '{self.worst[0]}' category '{self.worst[1]}' is off by {self.max_error:.3g} (relative)"
        if self.diverged:
            return (
                f"raking stopped after {self.iterations} iterations: the sample cannot meet "
                f"margin '{self.diverged}' together with the others (the weights diverge); " + off
            )
        return f"raking did not converge in {self.iterations} iterations: " + off


def base_weights(frame: pd.DataFrame, base_weight: str | None) -> np.ndarray:
    """The base weights as floats (1 for every row when none are named); must be positive."""
    if base_weight is None:
        return np.ones(len(frame))
    if base_weight not in frame.columns:
        raise AnalysisInputError(f"base weight column '{base_weight}' is not a column of the data")
    values = pd.to_numeric(frame[base_weight], errors="coerce").to_numpy(float)
    if np.isnan(values).any() or (values <= 0).any():
        raise AnalysisInputError(f"base weight column '{base_weight}' must be positive numbers")
    return values


def weighting_cells(frame: pd.DataFrame, margins: list[Margin]) -> Cells:
    """The rows' weighting cells; refuses a target category that no row has."""
    codes = [category_codes(frame, margin) for margin in margins]
    cells = group_cells(codes, [len(m.categories) for m in margins])
    for margin, cell_codes in zip(margins, cells.codes, strict=True):
        check_present(margin, np.bincount(cell_codes, weights=cells.rows, minlength=len(margin.categories)))
    return cells


def rake(
    frame: pd.DataFrame,
    margins: pd.DataFrame,
    base_weight: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    bounds: tuple[float, float] | None = None,
) -> RakeResult:
    """Rakes base weights to margins by iterative proportional fitting.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per respondent with a column per weighting variable (categorical is fastest).
    margins : pd.DataFrame
        ``variable, category, proportion`` and optionally ``count``. With counts the weights sum
        to the population; otherwise to the sum of the base weights.
    base_weight : str, optional
        Column of design weights; every row weighs 1 when omitted.
    max_iter, tol : int, float
        At most ``max_iter`` sweeps; converged when every margin is within ``tol`` (relative).
    bounds : (float, float), optional
        Lower and upper limits on each weight's adjustment ``w / (base · T / Σbase)``, where T is
        the target total, so (0.2, 5) means no weight moves more than five-fold from its
        evenly scaled base weight. The algorithm is bounded IPF: after each full sweep the
        adjustments are clipped to the bounds and the next sweep rakes again, until the margins
        are met with every weight inside its bounds (or ``max_iter``). Where the bounds bind
        this is not R's bounded ``calibrate(calfun="raking", bounds=)``, which solves a
        different (logit-type) problem: both meet the margins, but the weights differ.

    Returns
    -------
    RakeResult
        Non-convergence is reported (and warned about, naming the worst margin), never hidden;
        ``max_error`` describes the weights returned, which are always finite and positive.
    """
    if max_iter < 1 or tol <= 0:
        raise AnalysisInputError("max_iter must be at least 1 and tol positive")
    if len(frame) == 0:
        raise AnalysisInputError("the data has no rows")
    base = base_weights(frame, base_weight) if base_weight else None
    base_total = float(base.sum()) if base is not None else float(len(frame))
    parsed = parse_margins(margins, base_total)
    cells = weighting_cells(frame, parsed)
    cell_base = cells.total(base) if base is not None else cells.rows.astype(float)
    limits = _limits(bounds, parsed, base_total)
    factor, iterations, error, worst, stopped = _fit(cells, cell_base, parsed, max_iter, tol, limits)
    weights = factor[cells.of_row] if base is None else base * factor[cells.of_row]
    converged = error <= tol and not stopped
    # Without base weights every row of a cell has the same weight: summarise the cells.
    diagnostics = (
        weight_diagnostics(weights)
        if base is not None
        else weight_diagnostics(factor[cells.rows > 0], cells.rows[cells.rows > 0])
    )
    result = RakeResult(
        pd.Series(weights, index=frame.index, name="weight"),
        converged,
        iterations,
        error,
        worst,
        diagnostics,
        stopped,
    )
    if not converged:
        warnings.warn(result.problem(), stacklevel=2)
    return result


def _limits(
    bounds: tuple[float, float] | None, parsed: list[Margin], base_total: float
) -> tuple[float, float] | None:
    if bounds is None:
        return None
    lower, upper = bounds
    if not 0 <= lower < 1 < upper:
        raise AnalysisInputError("bounds must satisfy 0 <= lower < 1 < upper")
    scale = parsed[0].targets.sum() / base_total
    return lower * scale, upper * scale


def _fit(
    cells: Cells,
    cell_base: np.ndarray,
    margins: list[Margin],
    max_iter: int,
    tol: float,
    limits: tuple[float, float] | None,
) -> tuple[np.ndarray, int, float, tuple[str, str], str]:
    """IPF on the cells that have rows; returns each cell's factor, the iterations, the largest
    error of those factors, the margin it is in, and why the fit stopped early ("" if it did not).

    Empty combinations are left at the starting factor: they weigh nothing, and fitting them
    would only drive them to 0 or infinity. Margins the sample cannot meet together (a category
    combination they demand that no row has) can still make factors diverge; the fit then stops
    at the last finite factors and says which margin it could not meet, rather than returning
    weights that are not numbers.
    """
    live = cell_base > 0
    factor = np.full(cells.count, margins[0].targets.sum() / cell_base.sum())
    stopped, iterations = "", 0
    while iterations < max_iter:
        iterations += 1
        previous = factor.copy()
        for margin, codes in zip(margins, cells.codes, strict=True):
            totals = np.bincount(
                codes[live], weights=(cell_base * factor)[live], minlength=len(margin.targets)
            )
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                factor[live] *= (margin.targets / totals)[codes[live]]
            if not _usable(factor[live]):
                factor, stopped = previous, margin.variable
                break
        if not stopped and limits is not None:
            np.clip(factor, *limits, out=factor)
        error, worst = _largest_error(cells, cell_base * factor, margins)
        if stopped or error <= tol:
            break
    return factor, iterations, error, worst, stopped


def _usable(factors: np.ndarray) -> bool:
    """Finite, positive and not so extreme that the next step overflows."""
    return bool(np.isfinite(factors).all() and (factors > 0).all() and factors.max() / factors.min() < 1e250)


def _largest_error(
    cells: Cells, cell_weights: np.ndarray, margins: list[Margin]
) -> tuple[float, tuple[str, str]]:
    """The largest relative margin error (never negative; infinite if any is not a number)."""
    worst_error, worst = 0.0, (margins[0].variable, margins[0].categories[0])
    for margin, codes in zip(margins, cells.codes, strict=True):
        totals = np.bincount(codes, weights=cell_weights, minlength=len(margin.targets))
        errors = np.nan_to_num(np.abs(totals / margin.targets - 1), nan=np.inf)
        at = int(np.argmax(errors))
        if errors[at] > worst_error:
            worst_error, worst = float(errors[at]), (margin.variable, margin.categories[at])
    return worst_error, worst


def weight_diagnostics(weights: np.ndarray, repeats: np.ndarray | None = None) -> dict[str, float]:
    """Min, max, mean, Kish design effect and effective n of weights (each ``repeats`` times)."""
    repeats = np.ones(len(weights)) if repeats is None else repeats
    n, total = float(repeats.sum()), float(weights @ repeats)
    kish = n * float(np.square(weights) @ repeats) / total**2
    return {
        "n": float(n),
        "min": float(weights.min()),
        "max": float(weights.max()),
        "mean": total / n,
        "sum": total,
        "deff_kish": kish,
        "n_eff": n / kish,
    }
