"""Funnel plots for comparing areas without a league table (Spiegelhalter 2005).

Each area's proportion is plotted against its effective base; the control limits are where
an area with the overall proportion would fall by chance alone. Using the design's effective
base (n / deff) makes the limits allow for clustering and weighting, not just sample size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = (0.95, 0.998)


def limits(centre: float, n_eff: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (proportions, clipped to [0, 1]) at each ``n_eff``."""
    z = stats.norm.ppf((1 + level) / 2)
    spread = z * np.sqrt(centre * (1 - centre) / np.asarray(n_eff, float))
    return np.clip(centre - spread, 0, 1), np.clip(centre + spread, 0, 1)


def classify(areas: pd.DataFrame, centre: float) -> pd.DataFrame:
    """``areas`` (``estimate``, ``n_eff``) with ``outside`` added: "" within the 95% limits,
    "above 95%", "below 99.8%" and so on, the widest limit crossed."""
    outside = pd.Series("", index=areas.index)
    for level in LEVELS:
        low, high = limits(centre, areas["n_eff"].to_numpy(), level)
        label = f"{level:.1%}".replace(".0%", "%")
        outside[areas["estimate"].to_numpy() > high] = f"above {label}"
        outside[areas["estimate"].to_numpy() < low] = f"below {label}"
    return areas.assign(outside=outside)


def curves(centre: float, n_eff: np.ndarray, points: int = 120) -> dict[str, object]:
    """The control limits to draw, over the span of ``n_eff``: ``n_eff`` (the grid) and, per
    level in ``LEVELS``, its ``lower`` and ``upper`` limits (proportions)."""
    n_eff = np.asarray(n_eff, float)
    grid = np.linspace(max(float(n_eff.min()) * 0.8, 5.0), max(float(n_eff.max()) * 1.1, 10.0), points)
    levels = []
    for level in LEVELS:
        low, high = limits(centre, grid, level)
        levels.append({"level": level, "lower": low.tolist(), "upper": high.tolist()})
    return {"n_eff": grid.tolist(), "levels": levels}
