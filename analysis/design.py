"""A survey design and the design-based variance of linearised totals (DESIGN §7.2).

The variance is R ``survey``'s with-replacement ("ultimate cluster") estimator: clusters
within strata, each stratum's cluster totals centred on their mean and scaled by n_h/(n_h-1).
A stratum with a single cluster enters uncentred, as ``options(survey.lonely.psu="adjust")``.
When the weights were raked to margins, the linearised values are first replaced by their
residuals from a regression on the weighting cells' model matrix, weighted by the base weights
(the GREG linearisation R's ``calibrate()`` uses), which is what makes the SEs calibration-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cells import Cells
from analysis.columns import codes_of
from analysis.errors import AnalysisInputError
from analysis.margins import Margin, parse_margins
from analysis.raking import base_weights, weighting_cells


@dataclass
class Calibration:
    """What residualising on the raking margins needs, reduced to the weighting cells."""

    cells: Cells
    model: np.ndarray  # cells × p: intercept and treatment dummies of every margin
    gram_inverse: np.ndarray  # (Σ base · m mᵀ)⁻¹
    base: np.ndarray  # base weights per row
    cluster_model: np.ndarray  # clusters × p: Σ final weight × model row, over each cluster


@dataclass
class SurveyDesign:
    """The respondents (``frame``) with their final weights, cluster and stratum membership,
    and optional calibration: R's ``svydesign`` + ``calibrate``, or balance's ``Sample``.

    Build it once with :meth:`from_frame` and pass it to every estimator (estimates, the
    release tables, the equality view, comparisons); clusters are nested in strata (R's
    ``nest=TRUE``).
    """

    weights: np.ndarray
    cluster_of_row: np.ndarray
    stratum_of_cluster: np.ndarray
    clusters_in_stratum: np.ndarray
    calibration: Calibration | None = None
    lonely_strata: int = 0
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    clustered: bool = False  # rows sit in clusters (schools), not each on its own

    @property
    def n_rows(self) -> int:
        return len(self.weights)

    @property
    def n_clusters(self) -> int:
        return len(self.stratum_of_cluster)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        cluster: str | None = None,
        margins: pd.DataFrame | None = None,
        base_weight: str | None = None,
    ) -> SurveyDesign:
        """Validates the design columns and prepares everything the variance needs."""
        weights = _positive_column(frame, weight)
        stratum_of_row = _codes(frame, strata) if strata else np.zeros(len(frame), np.int64)
        if cluster:
            within = _codes(frame, cluster)
            pair = stratum_of_row * (int(within.max()) + 1) + within  # clusters nest in strata
            cluster_of_row, first_pair = pd.factorize(pair)
            stratum_of_cluster = first_pair // (int(within.max()) + 1)
        else:
            cluster_of_row = np.arange(len(frame))
            stratum_of_cluster = stratum_of_row
        cluster_of_row = np.asarray(cluster_of_row, np.int64)
        clusters_in_stratum = np.bincount(stratum_of_cluster)
        design = cls(
            weights,
            cluster_of_row,
            stratum_of_cluster,
            clusters_in_stratum,
            lonely_strata=int((clusters_in_stratum == 1).sum()),
            frame=frame,
            clustered=cluster is not None,
        )
        if margins is not None:
            design.calibration = _calibration(
                frame, margins, base_weight, weights, cluster_of_row, design.n_clusters
            )
        return design

    def residualise(self, cluster_totals: np.ndarray, cell_base_totals: np.ndarray) -> np.ndarray:
        """Cluster totals of the calibration residuals of linearised values ``x = w·e``.

        ``cluster_totals`` holds Σ w·e per cluster (clusters × k) and ``cell_base_totals``
        Σ base·e per weighting cell (cells × k). The residual of row i is w_i(e_i - m_iᵀβ) with
        β from the base-weighted regression of e on the model matrix.
        """
        cal = self.calibration
        if cal is None:
            return cluster_totals
        beta = cal.gram_inverse @ (cal.model.T @ cell_base_totals)
        # Σ over a cluster of w·mᵀβ is (Σ w·m)ᵀβ: the fitted part costs nothing per row.
        return cluster_totals - cal.cluster_model @ beta

    def covariance(self, cluster_totals: np.ndarray) -> np.ndarray:
        """With-replacement covariance of the totals of the linearised values (k × k)."""
        totals = np.asarray(cluster_totals, float).reshape(self.n_clusters, -1)
        n_h = self.clusters_in_stratum
        scale_h = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
        row_scale = scale_h[self.stratum_of_cluster]
        crossed = (totals * row_scale[:, None]).T @ totals
        sums = np.stack(
            [
                np.bincount(self.stratum_of_cluster, weights=totals[:, k], minlength=len(n_h))
                for k in range(totals.shape[1])
            ],
            axis=1,
        )
        centred = n_h > 1  # a lonely cluster's total enters uncentred ("adjust")
        means_term = (sums[centred] * (scale_h[centred] / n_h[centred])[:, None]).T @ sums[centred]
        return crossed - means_term

    def degrees_of_freedom(self, used: np.ndarray) -> int:
        """Clusters minus strata, counting only the ``used`` clusters (a mask) and the strata
        that hold them (R's ``degf`` of a domain)."""
        strata = np.bincount(self.stratum_of_cluster[used], minlength=len(self.clusters_in_stratum))
        return int(np.count_nonzero(used)) - int(np.count_nonzero(strata))


def _positive_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise AnalysisInputError(f"weight column '{column}' is not a column of the data")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    if not np.isfinite(values).all() or (values <= 0).any():
        raise AnalysisInputError(f"weight column '{column}' must be positive numbers")
    return values


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise AnalysisInputError(f"design column '{column}' is not a column of the data")
    codes, _ = codes_of(frame[column])
    if (codes < 0).any():
        raise AnalysisInputError(f"design column '{column}' has missing values")
    return codes.astype(np.int64)


# Weights from a CSV (17 digits) or another package meet their margins far closer than this.
CALIBRATION_TOLERANCE = 1e-6


def check_weights_meet(margins: list[Margin], cells: Cells, weights: np.ndarray) -> None:
    """Refuses weights that were not raked to ``margins``: the calibration-aware variance
    assumes they were, and would otherwise give confident but wrong standard errors.

    Shares are compared, so weights summing to the population or to the sample both pass.
    """
    cell_weights = cells.total(weights)
    for margin, codes in zip(margins, cells.codes, strict=True):
        shares = np.bincount(codes, weights=cell_weights, minlength=len(margin.targets))
        errors = np.abs(shares / cell_weights.sum() / (margin.targets / margin.targets.sum()) - 1)
        at = int(np.argmax(errors))
        if not errors[at] <= CALIBRATION_TOLERANCE:
            raise AnalysisInputError(
                f"the weights do not meet margin '{margin.variable}' category "
                f"'{margin.categories[at]}' (off by {errors[at]:.3g}, relative): calibration-aware "
                "standard errors need weights raked to these margins; rake them first or leave "
                "the margins out"
            )


def _calibration(
    frame: pd.DataFrame,
    margins: pd.DataFrame,
    base_weight: str | None,
    weights: np.ndarray,
    cluster_of_row: np.ndarray,
    n_clusters: int,
) -> Calibration:
    """The raking model: an intercept and treatment dummies of every margin (R's model.matrix),
    held per weighting cell and, weighted by the final weights, per cluster."""
    base = base_weights(frame, base_weight)
    parsed = parse_margins(margins, float(base.sum()))
    cells = weighting_cells(frame, parsed)
    check_weights_meet(parsed, cells, weights)
    cell_columns = [np.ones(cells.count)]
    cluster_columns = [np.bincount(cluster_of_row, weights=weights, minlength=n_clusters)]
    for margin, codes in zip(parsed, cells.codes, strict=True):
        size = len(margin.categories)
        cell_columns += [(codes == level).astype(float) for level in range(1, size)]
        by_level = np.bincount(
            cluster_of_row * size + codes[cells.of_row], weights=weights, minlength=n_clusters * size
        ).reshape(n_clusters, size)
        cluster_columns.append(by_level[:, 1:])
    model = np.column_stack(cell_columns)
    gram = model.T @ (cells.total(base)[:, None] * model)
    return Calibration(cells, model, np.linalg.pinv(gram), base, np.column_stack(cluster_columns))
