"""rake(): invariants by property tests, clear errors for bad inputs, honest non-convergence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import AnalysisInputError, rake


def _margins(spec: dict[str, dict[str, float]], counts: float | None = None) -> pd.DataFrame:
    rows = [(v, c, p, p * counts if counts else np.nan) for v, cats in spec.items() for c, p in cats.items()]
    return pd.DataFrame(rows, columns=["variable", "category", "proportion", "count"])


@st.composite
def samples(draw):
    """2-3 weighting variables, every combination of categories present (so a raking
    solution exists for any targets), extra random rows, and random targets."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.lists(st.integers(2, 5), min_size=2, max_size=3))
    crossing = np.array(np.meshgrid(*[np.arange(k) for k in sizes])).reshape(len(sizes), -1).T
    extra_rows = draw(st.integers(0, 300))
    extra = np.column_stack([rng.integers(0, k, extra_rows) for k in sizes]).reshape(-1, len(sizes))
    rows = np.vstack([crossing, extra])
    frame = pd.DataFrame({f"v{i}": rows[:, i].astype(str) for i in range(len(sizes))})
    n = len(frame)
    spec = {
        f"v{i}": dict(zip(map(str, range(k)), rng.dirichlet(np.full(k, 3.0)), strict=True))
        for i, k in enumerate(sizes)
    }
    base = rng.lognormal(0, 0.3, n) if draw(st.booleans()) else None
    return frame.assign(base=base if base is not None else 1.0), spec, base is not None


@settings(max_examples=60, deadline=None)
@given(samples())
def test_raked_margins_hit_their_targets_and_weights_stay_positive(sample):
    frame, spec, weighted = sample
    result = rake(frame, _margins(spec), base_weight="base" if weighted else None, max_iter=2000)
    assert result.converged and result.max_error <= 1e-10
    weights = result.weights
    assert (weights > 0).all() and weights.index.equals(frame.index)
    total = frame["base"].sum()
    assert weights.sum() == pytest.approx(total, rel=1e-9)
    for variable, targets in spec.items():
        achieved = weights.groupby(frame[variable]).sum() / total
        for category, share in targets.items():
            assert achieved[category] == pytest.approx(share, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(samples(), st.floats(0.3, 0.8), st.floats(1.5, 4))
def test_bounded_weights_stay_within_their_bounds(sample, lower, upper):
    frame, spec, weighted = sample
    base = frame["base"] if weighted else pd.Series(1.0, index=frame.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tight bounds may make targets unreachable: reported
        result = rake(
            frame,
            _margins(spec),
            base_weight="base" if weighted else None,
            bounds=(lower, upper),
            max_iter=300,
        )
    ratio = result.weights / base
    assert ratio.min() >= lower * (1 - 1e-12) and ratio.max() <= upper * (1 + 1e-12)


def test_counts_make_weights_sum_to_the_population():
    frame = pd.DataFrame({"sex": ["a", "b", "b", "a", "b"], "year": ["7", "7", "8", "8", "8"]})
    margins = _margins({"sex": {"a": 0.5, "b": 0.5}, "year": {"7": 0.4, "8": 0.6}}, counts=1000)
    result = rake(frame, margins)
    assert result.weights.sum() == pytest.approx(1000)
    assert result.weights[frame["year"] == "7"].sum() == pytest.approx(400)


def test_matches_a_plain_row_by_row_ipf():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), 500), "b": rng.choice(list("pq"), 500)})
    spec = {"a": {"x": 0.2, "y": 0.5, "z": 0.3}, "b": {"p": 0.7, "q": 0.3}}
    w = np.ones(500)
    for _ in range(200):
        for variable, targets in spec.items():
            for category, share in targets.items():
                rows = (frame[variable] == category).to_numpy()
                w[rows] *= share * 500 / w[rows].sum()
    np.testing.assert_allclose(rake(frame, _margins(spec)).weights, w, rtol=1e-9)


def test_categorical_columns_give_the_same_weights_as_text():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), 300)})
    margins = _margins({"a": {"x": 0.2, "y": 0.5, "z": 0.3}})
    as_text = rake(frame, margins).weights
    as_category = rake(frame.astype({"a": pd.CategoricalDtype(list("zyxw"))}), margins).weights
    np.testing.assert_allclose(as_text, as_category)


def test_diagnostics_report_kish_design_effect():
    frame = pd.DataFrame({"a": ["x"] * 10 + ["y"] * 30})
    result = rake(frame, _margins({"a": {"x": 0.5, "y": 0.5}}))
    w = result.weights.to_numpy()
    assert result.diagnostics["deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert result.diagnostics["n_eff"] == pytest.approx(len(w) / result.diagnostics["deff_kish"])
    assert result.diagnostics["min"] == pytest.approx(20 / 30)  # 20 target over 30 rows
    assert result.diagnostics["max"] == pytest.approx(20 / 10)


def test_non_convergence_is_flagged_and_warned_naming_the_worst_margin():
    frame = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "q"]})
    margins = _margins({"a": {"x": 0.9, "y": 0.1}, "b": {"p": 0.5, "q": 0.5}})
    with pytest.warns(UserWarning, match="did not converge.*margin '"):
        result = rake(frame, margins, bounds=(0.9, 1.1), max_iter=5)
    assert not result.converged and result.iterations == 5 and result.max_error > 0.1


BASE = pd.DataFrame({"sex": ["boy", "girl", "girl"], "w": [1.0, 2.0, 1.0]})


@pytest.mark.parametrize(
    ("frame", "margins", "message"),
    [
        (
            BASE,
            _margins({"sex": {"boy": 0.5, "girl": 0.4, "other": 0.1}}),
            "'sex': target category 'other' has no rows",
        ),
        (
            BASE,
            _margins({"sex": {"boy": 1.0}}),
            "'sex': category 'girl' is in the data but not in the margins",
        ),
        (BASE, _margins({"sex": {"boy": 0.5, "girl": 0.6}}), "margin 'sex': proportions sum to 1.1"),
        (
            BASE.assign(sex=["boy", None, "girl"]),
            _margins({"sex": {"boy": 0.5, "girl": 0.5}}),
            "'sex' has missing values",
        ),
        (
            BASE,
            _margins({"sex": {"boy": 1.2, "girl": -0.2}}),
            "category 'girl': proportion must be a positive",
        ),
        (BASE, _margins({"age": {"old": 1.0}}), "weighting variable 'age' is not a column"),
        (BASE, pd.DataFrame({"variable": ["sex"], "category": ["boy"]}), "missing \\['proportion'\\]"),
    ],
)
def test_bad_inputs_raise_one_clear_error(frame, margins, message):
    with pytest.raises(AnalysisInputError, match=message):
        rake(frame, margins)


def test_inconsistent_population_counts_are_refused():
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "year"],
            "category": ["boy", "girl", "7"],
            "proportion": [0.5, 0.5, 1.0],
            "count": [50, 50, 120],
        }
    )
    frame = pd.DataFrame({"sex": ["boy", "girl"], "year": ["7", "7"]})
    with pytest.raises(AnalysisInputError, match="every variable must describe the same population"):
        rake(frame, margins)


def test_bad_base_weights_are_refused():
    with pytest.raises(AnalysisInputError, match="base weight column 'w' must be positive"):
        rake(BASE.assign(w=[1.0, 0.0, 2.0]), _margins({"sex": {"boy": 0.5, "girl": 0.5}}), base_weight="w")


@st.composite
def contradictory_samples(draw):
    """Weighting variables with structural zeros (category combinations no row has) and
    extreme random targets, which the sample often cannot meet together."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.lists(st.integers(2, 4), min_size=2, max_size=3))
    crossing = np.array(np.meshgrid(*[np.arange(k) for k in sizes])).reshape(len(sizes), -1).T
    keep = rng.random(len(crossing)) < 0.5
    keep[rng.integers(len(crossing))] = True
    rows = np.repeat(crossing[keep], rng.integers(1, 4, keep.sum()), axis=0)
    frame = pd.DataFrame({f"v{i}": rows[:, i].astype(str) for i in range(len(sizes))})
    # Targets only for the categories that have rows (a missing one is a different error).
    spec = {}
    for i in range(len(sizes)):
        present = sorted(frame[f"v{i}"].unique())
        spec[f"v{i}"] = dict(
            zip(present, rng.dirichlet(np.full(len(present), 0.3)) * 0.98 + 0.02 / len(present), strict=True)
        )
    return frame, spec


def _margin_error(frame: pd.DataFrame, weights: pd.Series, spec: dict, total: float) -> float:
    """Largest relative difference between a weighted margin and its target total."""
    errors = [
        abs(weights[frame[v] == c].sum() / (p * total) - 1)
        for v, targets in spec.items()
        for c, p in targets.items()
    ]
    return max(errors)


@settings(max_examples=80, deadline=None)
@given(contradictory_samples(), st.sampled_from([None, (0.2, 5.0)]))
def test_the_report_tells_the_truth_about_the_weights_it_returns(sample, bounds):
    frame, spec = sample
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = rake(frame, _margins(spec), max_iter=3000, bounds=bounds)
    weights = result.weights
    assert np.isfinite(weights).all() and (weights > 0).all()
    assert result.max_error >= 0
    actual = _margin_error(frame, weights, spec, len(frame))
    assert result.converged == (actual <= 1e-8)
    if not result.converged:
        assert result.max_error == pytest.approx(actual, rel=1e-6)
        assert [str(w.message) for w in caught] == [result.problem()]
        assert "margin '" in result.problem()
    else:
        assert not caught


def test_margins_the_sample_cannot_meet_stop_the_fit_and_name_the_margin():
    # Every 'a' row is also a 'p' row, but the margins want 'a' rare and 'p' common... and
    # then the reverse for 'b': the factors of one cell head for zero, of another for infinity.
    frame = pd.DataFrame({"x": ["a", "a", "b"] * 3, "y": ["p", "q", "p"] * 3})
    margins = _margins({"x": {"a": 0.1, "b": 0.9}, "y": {"p": 0.1, "q": 0.9}})
    with pytest.warns(UserWarning, match="cannot meet margin 'y' together with the others"):
        result = rake(frame, margins, max_iter=100_000)
    assert not result.converged and result.diverged == "y" and result.iterations < 100_000
    assert np.isfinite(result.weights).all() and result.max_error > 1


@settings(max_examples=40, deadline=None)
@given(samples(), st.floats(0.3, 0.8), st.floats(1.5, 4))
def test_bounded_raking_that_converges_meets_the_margins_inside_the_bounds(sample, lower, upper):
    frame, spec, weighted = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = rake(
            frame,
            _margins(spec),
            base_weight="base" if weighted else None,
            bounds=(lower, upper),
            max_iter=500,
        )
    if result.converged:
        base = frame["base"] if weighted else pd.Series(1.0, index=frame.index)
        scaled = base * result.weights.sum() / base.sum()
        assert (result.weights / scaled).between(lower * (1 - 1e-9), upper * (1 + 1e-9)).all()
        assert _margin_error(frame, result.weights, spec, base.sum()) <= 1e-8
