"""A survey design and the design-based variance of linearised totals (DESIGN §7.2).

The variance is R ``survey``'s with-replacement ("ultimate cluster") estimator: clusters
within strata, each stratum's cluster totals centred on their mean and scaled by n_h/(n_h-1).
A stratum with a single cluster enters uncentred, as ``options(survey.lonely.psu="adjust")``.
When the weights were raked to margins, the linearised values are first replaced by their
residuals from a regression on the weighting cells' model matrix, weighted by the base weights
(the GREG linearisation R's ``calibrate()`` uses), which is what makes the SEs calibration-aware.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.cells import Cells
from analysis.errors import AnalysisInputError
from analysis.margins import parse_margins
from analysis.raking import base_weights, weighting_cells


@dataclass
class Calibration:
    """What residualising on the raking margins needs, reduced to the weighting cells."""

    cells: Cells
    model: np.ndarray  # cells × p: intercept and treatment dummies of every margin
    gram_inverse: np.ndarray  # (Σ base · m mᵀ)⁻¹
    base: np.ndarray  # base weights per row
    weight_by_cluster_cell: sparse.csr_matrix  # clusters × cells: Σ final weight


@dataclass
class SurveyDesign:
    """Rows with final weights, cluster and stratum membership, and optional calibration.

    Build it with :meth:`from_frame`; clusters are nested in strata (R's ``nest=TRUE``).
    """

    weights: np.ndarray
    cluster_of_row: np.ndarray
    stratum_of_cluster: np.ndarray
    clusters_in_stratum: np.ndarray
    calibration: Calibration | None = None
    lonely_strata: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.weights)

    @property
    def n_clusters(self) -> int:
        return len(self.stratum_of_cluster)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, weight: str, strata: str | None = None,
                   cluster: str | None = None, margins: pd.DataFrame | None = None,
                   base_weight: str | None = None) -> SurveyDesign:
        """Validates the design columns and prepares everything the variance needs."""
        weights = _positive_column(frame, weight)
        stratum_of_row = _codes(frame, strata) if strata else np.zeros(len(frame), np.int64)
        if cluster:
            pairs = pd.MultiIndex.from_arrays([stratum_of_row, _codes(frame, cluster)])
            cluster_of_row, unique_pairs = pd.factorize(pairs)
            stratum_of_cluster = unique_pairs.get_level_values(0).to_numpy(np.int64)
        else:
            cluster_of_row = np.arange(len(frame))
            stratum_of_cluster = stratum_of_row
        cluster_of_row = np.asarray(cluster_of_row, np.int64)
        clusters_in_stratum = np.bincount(stratum_of_cluster)
        design = cls(weights, cluster_of_row, stratum_of_cluster, clusters_in_stratum,
                     lonely_strata=int((clusters_in_stratum == 1).sum()))
        if margins is not None:
            design.calibration = _calibration(frame, margins, base_weight, weights,
                                              cluster_of_row, design.n_clusters)
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
        fitted = cal.model @ beta  # cells × k
        return cluster_totals - cal.weight_by_cluster_cell @ fitted

    def covariance(self, cluster_totals: np.ndarray) -> np.ndarray:
        """With-replacement covariance of the totals of the linearised values (k × k)."""
        totals = np.asarray(cluster_totals, float).reshape(self.n_clusters, -1)
        n_h = self.clusters_in_stratum
        scale_h = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
        row_scale = scale_h[self.stratum_of_cluster]
        crossed = (totals * row_scale[:, None]).T @ totals
        sums = np.stack([np.bincount(self.stratum_of_cluster, weights=totals[:, k],
                                     minlength=len(n_h)) for k in range(totals.shape[1])], axis=1)
        centred = n_h > 1  # a lonely cluster's total enters uncentred ("adjust")
        means_term = (sums[centred] * (scale_h[centred] / n_h[centred])[:, None]).T @ sums[centred]
        return crossed - means_term

    def degrees_of_freedom(self, in_base: np.ndarray) -> int:
        """Clusters minus strata, counting only those with rows in the base (R's ``degf``)."""
        clusters = np.unique(self.cluster_of_row[in_base])
        return len(clusters) - len(np.unique(self.stratum_of_cluster[clusters]))


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
    codes, _ = pd.factorize(frame[column])
    if (codes < 0).any():
        raise AnalysisInputError(f"design column '{column}' has missing values")
    return codes.astype(np.int64)


def _calibration(frame: pd.DataFrame, margins: pd.DataFrame, base_weight: str | None,
                 weights: np.ndarray, cluster_of_row: np.ndarray, n_clusters: int) -> Calibration:
    base = base_weights(frame, base_weight)
    parsed = parse_margins(margins, float(base.sum()))
    cells = weighting_cells(frame, parsed)
    columns = [np.ones(cells.count)]
    for margin, codes in zip(parsed, cells.codes, strict=True):
        columns += [(codes == level).astype(float) for level in range(1, len(margin.categories))]
    model = np.column_stack(columns)
    gram = model.T @ (cells.total(base)[:, None] * model)
    by_cluster_cell = sparse.csr_matrix((weights, (cluster_of_row, cells.of_row)),
                                        shape=(n_clusters, cells.count))
    return Calibration(cells, model, np.linalg.pinv(gram), base, by_cluster_cell)
