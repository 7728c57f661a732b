"""Differences and ratios between domains of one wave, and between waves (DESIGN §7.4).

Two domains of one wave share a design, so their covariance comes from the same linearised
cluster totals; two waves are independent samples, so their variances add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.columns import codes_of
from analysis.design import SurveyDesign
from analysis.errors import AnalysisInputError
from analysis.estimates import (
    DomainResult,
    DomainSums,
    Outcome,
    domain_result,
    domain_sums,
    filter_mask,
    outcome_codes,
)

Filter = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Comparison:
    """``a - b`` and ``a / b`` with standard errors, intervals and a two-sided p-value.

    ``differs`` is true only when the interval for the difference excludes zero.
    """

    estimate_a: float
    estimate_b: float
    difference: float
    se_difference: float
    ci_low: float
    ci_high: float
    p_value: float
    ratio: float
    se_ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    df: float
    differs: bool


def contrast(
    p_a: float, p_b: float, var_a: float, var_b: float, cov_ab: float, df: float, level: float = 0.95
) -> Comparison:
    """The difference and ratio of two estimates given their (co)variances.

    The ratio's SE is the delta method's and its interval is symmetric on the log scale.
    Quantiles are t on ``df`` degrees of freedom (normal when ``df`` is infinite).
    """
    quantile = stats.t.ppf((1 + level) / 2, df) if df >= 1 else np.nan
    difference = p_a - p_b
    se = float(np.sqrt(max(var_a + var_b - 2 * cov_ab, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = difference / se
        p_value = float(2 * stats.t.sf(abs(statistic), df)) if df >= 1 else np.nan
        ratio = p_a / p_b
        ratio_var = (var_a - 2 * ratio * cov_ab + ratio**2 * var_b) / p_b**2
        se_ratio = float(np.sqrt(max(ratio_var, 0.0))) if np.isfinite(ratio_var) else np.nan
        se_log = se_ratio / ratio if ratio > 0 else np.nan  # no log-scale interval at 0
        ratio_low, ratio_high = ratio * np.exp(-quantile * se_log), ratio * np.exp(quantile * se_log)
    low, high = difference - quantile * se, difference + quantile * se
    return Comparison(
        float(p_a),
        float(p_b),
        float(difference),
        se,
        float(low),
        float(high),
        p_value,
        float(ratio),
        se_ratio,
        float(ratio_low),
        float(ratio_high),
        float(df),
        bool(low > 0 or high < 0),
    )


def compare_domains(
    design: SurveyDesign,
    outcome: str,
    category: str,
    domain_a: Filter,
    domain_b: Filter | None = None,
    where: Filter | None = None,
    level: float = 0.95,
) -> Comparison:
    """Compares the proportion in ``category`` between two domains of the same design.

    ``domain_b`` defaults to the rest of the base (everyone in the base not in ``domain_a``).
    Degrees of freedom are those of the two domains together.
    """
    coded = outcome_codes(design.frame, outcome, where)
    in_a = filter_mask(design.frame, domain_a)
    in_b = filter_mask(design.frame, domain_b) if domain_b is not None else ~in_a
    return compare_rows(design, coded, category, in_a, in_b, level)


def compare_rows(
    design: SurveyDesign,
    coded: Outcome,
    category: str,
    in_a: np.ndarray,
    in_b: np.ndarray,
    level: float = 0.95,
) -> Comparison:
    """Two domains given as row masks of one prepared design (they may overlap)."""
    k = _position(coded, category)
    a, b = (domain_sums(design, coded, np.where(mask, 0, -1), 1) for mask in (in_a, in_b))
    used = (a.rows[0] + b.rows[0]) > 0
    return _compared(design, k, domain_result(design, a, 0), domain_result(design, b, 0), used, level)


def base_sums(design: SurveyDesign, coded: Outcome) -> DomainSums:
    """The sums of everyone in the outcome's base: what each group is compared against."""
    return domain_sums(design, coded, np.zeros(design.n_rows, np.int64), 1)


def compare_with_rest(
    design: SurveyDesign,
    coded: Outcome,
    category: str,
    group_of_row: np.ndarray,
    groups: Sequence[int],
    everyone: DomainSums | None = None,
    level: float = 0.95,
) -> list[Comparison]:
    """Each of ``groups`` (codes in ``group_of_row``) against everyone else in the base,
    including those in no group (they did not say): the one definition of "the rest" that the
    equality view and :func:`each_against_rest` share. ``everyone`` (:func:`base_sums`) may be
    passed in when it serves several breakdowns. One pass over the rows however many groups:
    the rest's sums are everyone's less the group's."""
    k = _position(coded, category)
    everyone = everyone if everyone is not None else base_sums(design, coded)
    by_group = domain_sums(design, coded, group_of_row, int(group_of_row.max(initial=-1)) + 1)
    rest, used = everyone - by_group, everyone.rows[0] > 0
    return [
        _compared(design, k, domain_result(design, by_group, g), domain_result(design, rest, g), used, level)
        for g in groups
    ]


def _position(coded: Outcome, category: str) -> int:
    if category not in coded.categories:
        raise AnalysisInputError(f"outcome '{coded.name}' has no category '{category}' in the base")
    return coded.categories.index(category)


def _compared(
    design: SurveyDesign, k: int, a: DomainResult, b: DomainResult, used: np.ndarray, level: float
) -> Comparison:
    """Category ``k`` of two domains, ``used`` marking the clusters either has rows in."""
    if a.n == 0 or b.n == 0:
        raise AnalysisInputError("one of the domains has no rows in the base")
    cov = design.covariance(np.column_stack([a.cluster_totals[:, k], b.cluster_totals[:, k]]))
    df = design.degrees_of_freedom(used)
    return contrast(a.proportions[k], b.proportions[k], cov[0, 0], cov[1, 1], cov[0, 1], df, level)


def each_against_rest(
    design: SurveyDesign,
    outcome: str,
    category: str,
    by: str,
    where: Filter | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Every group of ``by`` against everyone else in the base (as the equality view), one
    row per group, flagged only where the CI excludes 0."""
    coded = outcome_codes(design.frame, outcome, where)
    codes, labels = codes_of(design.frame[by].astype("string"))  # 7 and "7" are one group
    present = [g for g in sorted(range(len(labels)), key=lambda g: labels[g]) if (codes == g).any()]
    results = compare_with_rest(design, coded, category, codes, present, level=level)
    return pd.DataFrame(
        [{"by": by, "group": labels[g], **asdict(result)} for g, result in zip(present, results, strict=True)]
    )


def compare_waves(a: Mapping[str, float], b: Mapping[str, float], level: float = 0.95) -> Comparison:
    """Compares one estimate between two independent waves.

    ``a`` and ``b`` need ``estimate``, ``se`` and ``df`` (rows of two estimates tables). The
    convention is that of the two waves stacked into one design, each wave's strata its own:
    the variances add (no covariance between independent samples) and the t quantile has
    ``df_a + df_b`` degrees of freedom, the stacked design's clusters minus strata (R's
    ``degf`` of the stacked design). That is what ``svycontrast`` on a stacked design with a
    t test on its ``degf`` gives.
    """
    missing = [name for name, row in (("a", a), ("b", b)) if "df" not in row]
    if missing:
        raise AnalysisInputError(
            f"compare_waves needs the design degrees of freedom 'df' of {' and '.join(missing)} "
            "(a column of every estimates table)"
        )
    df = float(a["df"]) + float(b["df"])
    return contrast(
        float(a["estimate"]), float(b["estimate"]), float(a["se"]) ** 2, float(b["se"]) ** 2, 0.0, df, level
    )


def wave_changes(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each row's change since the row before it (waves in time order, one indicator):
    ``change, change_ci_low, change_ci_high, change_p`` added, empty on the first row and
    wherever either estimate is missing. ``table`` needs ``estimate``, ``se`` and ``df``."""
    out = table.reset_index(drop=True).copy()
    changes = [dict.fromkeys(("change", "change_ci_low", "change_ci_high", "change_p"), np.nan)]
    records = out.to_dict("records")
    for previous, current in zip(records, records[1:], strict=False):
        if any(pd.isna(row[k]) for row in (previous, current) for k in ("estimate", "se", "df")):
            changes.append(dict(changes[0]))
            continue
        result = compare_waves(current, previous, level)
        changes.append(
            {
                "change": result.difference,
                "change_ci_low": result.ci_low,
                "change_ci_high": result.ci_high,
                "change_p": result.p_value,
            }
        )
    return pd.concat([out, pd.DataFrame(changes[: len(out)])], axis=1)
