"""Weighted proportions with design-based, calibration-aware standard errors (DESIGN §7.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from analysis.columns import codes_of, rows_matching
from analysis.design import SurveyDesign
from analysis.errors import AnalysisInputError
from analysis.intervals import METHODS, confidence_interval

COLUMNS = [
    "outcome",
    "category",
    "by",
    "by_category",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "n_eff",
    "deff",
    "df",
]


@dataclass
class DomainResult:
    """One domain's proportions and what their variance and intervals need."""

    proportions: np.ndarray  # k
    weight_total: float
    n: int  # unweighted base
    cluster_totals: np.ndarray  # clusters × k, linearised (and residualised) values
    df: int


@dataclass
class DomainSums:
    """Weighted sums over the base rows of several domains (the leading axis), taken in one
    pass over the rows whatever the number of domains. Sums are linear, so "everyone else"
    is one domain's sums less another's (``all - group`` broadcasts over the groups)."""

    weight: np.ndarray  # domains
    rows: np.ndarray  # domains × clusters: base rows (a count)
    category: np.ndarray  # domains × k
    cluster: np.ndarray  # domains × clusters
    cluster_category: np.ndarray  # domains × clusters × k
    cell: np.ndarray | None = None  # domains × weighting cells: base weights
    cell_category: np.ndarray | None = None  # domains × weighting cells × k

    def __sub__(self, other: DomainSums) -> DomainSums:
        def less(name: str) -> np.ndarray | None:
            mine = getattr(self, name)
            return None if mine is None else mine - getattr(other, name)

        return DomainSums(**{f.name: less(f.name) for f in fields(self)})


@dataclass
class Outcome:
    """An outcome column as category positions over the base; -1 outside it."""

    name: str
    categories: list[str]
    code_of_row: np.ndarray


def outcome_codes(
    frame: pd.DataFrame, outcome: str, where: Mapping[str, str | Sequence[str]] | None = None
) -> Outcome:
    """The base (rows meeting ``where`` with a non-empty outcome) and each row's category.

    A categorical column reports all its categories, like an R factor (0 where nobody chose
    one); any other column reports the categories seen in the base, in sorted order.
    """
    codes, labels = codes_of(_column(frame, outcome, "outcome"), blank_is_missing=True)
    codes = np.where(filter_mask(frame, where), codes, -1)
    if isinstance(frame[outcome].dtype, pd.CategoricalDtype):
        return Outcome(outcome, labels, codes)
    seen = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(labels)))
    order = sorted(seen, key=lambda i: labels[i])
    renumber = np.full(len(labels) + 1, -1, np.int64)  # the last slot maps -1 to -1
    renumber[order] = np.arange(len(order))
    return Outcome(outcome, [labels[i] for i in order], renumber[codes])


def filter_mask(frame: pd.DataFrame, where: Mapping[str, str | Sequence[str]] | None) -> np.ndarray:
    """Rows whose ``column`` is one of the given values for every entry (compared as text)."""
    mask = np.ones(len(frame), bool)
    for column, wanted in (where or {}).items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        mask &= rows_matching(_column(frame, column, "filter"), values)
    return mask


def domain_sums(
    design: SurveyDesign, outcome: Outcome, domain_of_row: np.ndarray, domains: int
) -> DomainSums:
    """The sums of each domain (``domain_of_row`` numbers them from 0; -1 is in none) over the
    base rows; the other rows stay in the design."""
    rows = np.flatnonzero((domain_of_row >= 0) & (outcome.code_of_row >= 0))
    k, clusters = len(outcome.categories), design.n_clusters
    domain = domain_of_row[rows].astype(np.int64)
    codes, weights = outcome.code_of_row[rows].astype(np.int64), design.weights[rows]
    in_cluster = domain * clusters + design.cluster_of_row[rows]

    def summed(index: np.ndarray, shape: tuple[int, ...], by: np.ndarray | None = weights) -> np.ndarray:
        return np.bincount(index, weights=by, minlength=int(np.prod(shape))).reshape(shape)

    sums = DomainSums(
        weight=summed(domain, (domains,)),
        rows=summed(in_cluster, (domains, clusters), None),
        category=summed(domain * k + codes, (domains, k)),
        cluster=summed(in_cluster, (domains, clusters)),
        cluster_category=summed(in_cluster * k + codes, (domains, clusters, k)),
    )
    if design.calibration is not None:
        cells, base = design.calibration.cells, design.calibration.base[rows]
        in_cell = domain * cells.count + cells.of_row[rows]
        sums.cell = summed(in_cell, (domains, cells.count), base)
        sums.cell_category = summed(in_cell * k + codes, (domains, cells.count, k), base)
    return sums


def domain_result(design: SurveyDesign, sums: DomainSums, domain: int) -> DomainResult:
    """One domain's proportions and linearised cluster totals from its sums."""
    k, clusters = sums.category.shape[1], design.n_clusters
    total, n = float(sums.weight[domain]), int(sums.rows[domain].sum())
    if n == 0 or total <= 0:
        return DomainResult(np.full(k, np.nan), 0.0, 0, np.zeros((clusters, k)), 0)
    proportions = sums.category[domain] / total
    totals = (sums.cluster_category[domain] - sums.cluster[domain][:, None] * proportions) / total
    if sums.cell is not None and sums.cell_category is not None:
        cell_e = (sums.cell_category[domain] - sums.cell[domain][:, None] * proportions) / total
        totals = design.residualise(totals, cell_e)
    return DomainResult(proportions, total, n, totals, design.degrees_of_freedom(sums.rows[domain] > 0))


def summarise(design: SurveyDesign, result: DomainResult, ci: str, level: float) -> dict[str, np.ndarray]:
    """se, CI, n_eff and deff for each category of one domain."""
    p = result.proportions
    variance = np.clip(np.diag(design.covariance(result.cluster_totals)), 0, None)
    se = np.sqrt(variance)
    low, high = confidence_interval(ci, p, se, result.df, level, design.n_rows, result.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / variance
        deff = variance * (result.n - 1) / (p * (1 - p))  # R's deff="replace"
    return {
        "estimate": p,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "n": result.n,
        "n_eff": n_eff,
        "deff": deff,
        "df": result.df,
    }


def estimate(
    frame: pd.DataFrame,
    outcome: str,
    weight: str,
    strata: str | None = None,
    cluster: str | None = None,
    margins: pd.DataFrame | None = None,
    base_weight: str | None = None,
    where: Mapping[str, str | Sequence[str]] | None = None,
    by: str | None = None,
    ci: str = "logit",
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted proportions of every category of ``outcome``, overall and by ``by``.

    Parameters
    ----------
    frame : pd.DataFrame
        Respondent rows with the outcome, the weight and the design columns.
    outcome, weight : str
        Column names. The weight is the final (raked) weight.
    strata, cluster : str, optional
        Stratum (e.g. borough) and cluster (e.g. school) columns; clusters nest in strata.
    margins : pd.DataFrame, optional
        The margins the weights were raked to; makes the SEs calibration-aware, residualising
        with ``base_weight`` (equal base weights when omitted).
    where : mapping, optional
        ``{column: value or values}``: the base is the rows that match every entry and have an
        outcome. Other rows stay in the design (domain estimation), they are not dropped.
    by : str, optional
        A breakdown column; each of its categories is a domain of the full design.
    ci : {"logit", "beta", "wilson"}
    level : float
        Confidence level.

    Returns
    -------
    pd.DataFrame
        ``outcome, category, by, by_category, estimate, se, ci_low, ci_high, n, n_eff, deff, df``;
        the overall rows have empty ``by`` and ``by_category``; ``df`` is the domain's design
        degrees of freedom (clusters minus strata that hold its base, R's ``degf``), which
        the CI used and comparisons between waves need.
    """
    design = SurveyDesign.from_frame(frame, weight, strata, cluster, margins, base_weight)
    return design_estimate(design, frame, outcome, where, [by] if by is not None else [], ci, level)


def design_estimate(
    design: SurveyDesign,
    frame: pd.DataFrame,
    outcome: str,
    where: Mapping[str, str | Sequence[str]] | None = None,
    breakdowns: Sequence[str] = (),
    ci: str = "logit",
    level: float = 0.95,
) -> pd.DataFrame:
    """:func:`estimate` with a design already built from ``frame``, overall and by each of
    ``breakdowns`` in one table: the many tables of one release share one design, and each
    outcome's overall figures are computed once."""
    if ci not in METHODS:
        raise AnalysisInputError(f"unknown CI method '{ci}'; choose one of {', '.join(METHODS)}")
    if not 0 < level < 1:
        raise AnalysisInputError(f"level must be between 0 and 1, not {level}")
    coded = outcome_codes(frame, outcome, where)
    if not coded.categories:
        raise AnalysisInputError(f"outcome '{outcome}' has no answers in the base")
    overall = domain_sums(design, coded, np.zeros(len(frame), np.int64), 1)
    domains, results = [("", "")], [domain_result(design, overall, 0)]
    for by in breakdowns:
        groups = _column(frame, by, "breakdown")
        codes, labels = codes_of(groups)
        by_group = domain_sums(design, coded, codes, len(labels))
        order = (
            range(len(labels))
            if isinstance(groups.dtype, pd.CategoricalDtype)
            else sorted(range(len(labels)), key=lambda i: labels[i])
        )
        domains += [(by, labels[i]) for i in order]
        results += [domain_result(design, by_group, i) for i in order]
    k = len(coded.categories)
    numbers = [summarise(design, result, ci, level) for result in results]
    table = pd.DataFrame(
        {
            "outcome": outcome,
            "category": np.tile(np.array(coded.categories, dtype=object), len(domains)),
            "by": np.repeat([d[0] for d in domains], k),
            "by_category": np.repeat([d[1] for d in domains], k),
            **{
                name: np.concatenate([np.broadcast_to(n[name], k) for n in numbers])
                for name in ("estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "df")
            },
        }
    )
    table[["n", "df"]] = table[["n", "df"]].astype(int)
    return table[COLUMNS]


def _column(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
    if column not in frame.columns:
        raise AnalysisInputError(f"{role} column '{column}' is not a column of the data")
    return frame[column]
