"""Release-wide secondary suppression: random releases with overlapping breakdowns, attacked by
adding and subtracting every pair of published cells, checked by row-level linear algebra
(numpy's least squares over respondents, independent of the Gram-matrix method under test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.differencing import cells_of
from analysis.disclosure import CONFIDENTIAL, Thresholds, apply

FLOOR = Thresholds().floor


@st.composite
def releases(draw):
    """Respondents with sex and a coarser grouping of it, year and key stage, detailed and
    grouped ethnicity, SEND and its intersection with ethnic group, and a borough."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(15, 260))
    rare = draw(st.floats(0.0, 0.08))
    sex = rng.choice(["girl", "boy", "another"], n, p=[(1 - rare) / 2, (1 - rare) / 2, rare])
    year = rng.choice([f"y{k}" for k in range(7, 12)], n, p=rng.dirichlet(np.ones(5)))
    detailed = rng.choice(list("abcdefgh"), n, p=rng.dirichlet(np.full(8, 0.7)))
    send = rng.choice(["yes", "no"], n, p=[0.15, 0.85])
    frame = pd.DataFrame(
        {
            "sex": sex,
            "year": year,
            "ethnicity": detailed,
            "send": send,
            "borough": rng.choice([f"b{k}" for k in range(4)], n),
        }
    )
    frame.loc[rng.random(n) < draw(st.floats(0, 0.1)), "sex"] = None
    frame["female"] = frame["sex"].map({"girl": "female", "boy": "not_female", "another": "not_female"})
    frame["key_stage"] = frame["year"].map(lambda y: "KS3" if y in ("y7", "y8", "y9") else "KS4")
    frame["ethnic_group"] = frame["ethnicity"].map(dict(zip("abcdefgh", "AABBCCDD", strict=True)))
    frame["group_x_send"] = frame["ethnic_group"] + " " + frame["send"]
    columns = draw(
        st.lists(
            st.sampled_from(
                [
                    "sex",
                    "female",
                    "year",
                    "key_stage",
                    "ethnicity",
                    "ethnic_group",
                    "send",
                    "group_x_send",
                    "borough",
                ]
            ),
            min_size=2,
            max_size=9,
            unique=True,
        )
    )
    return frame[columns].astype("string")


def _table(groups: pd.DataFrame) -> pd.DataFrame:
    rows = [("ind", "", "All", len(groups))]
    for column in groups.columns:
        for label in sorted(groups[column].dropna().unique()):
            rows.append(("ind", column, label, int((groups[column] == label).sum())))
    table = pd.DataFrame(rows, columns=["indicator", "breakdown", "group", "n"])
    return table.assign(estimate=0.4, n_eff=table["n"].astype(float))


def _members(groups: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Respondents × cells, 0/1."""
    return np.column_stack(
        [
            np.ones(len(groups))
            if row.breakdown == ""
            else (groups[row.breakdown] == row.group).fillna(False).to_numpy(float)
            for row in table.itertuples()
        ]
    )


def _in_span(basis: np.ndarray, vector: np.ndarray) -> bool:
    if basis.shape[1] == 0:
        return not vector.any()
    coefficients, *_ = np.linalg.lstsq(basis, vector, rcond=None)
    return np.abs(basis @ coefficients - vector).max() < 1e-6


@settings(max_examples=150, deadline=None)
@given(releases())
def test_no_hidden_cell_or_small_group_can_be_recovered_from_a_release(groups):
    table = apply(_table(groups), {"ind": groups})
    members = _members(groups, table)
    hidden = (table["symbol"] == CONFIDENTIAL).to_numpy()
    sizes = members.sum(axis=0)
    visible = members[:, ~hidden]
    # No hidden cell (with anyone in it) is any sum or difference of published cells.
    for cell in np.flatnonzero(hidden & (sizes > 0)):
        assert not _in_span(visible, members[:, cell]), table.iloc[cell].to_dict()
    # Every difference of two published cells that is itself a group of respondents is
    # empty or not small; the same for "All" minus every visible group of one breakdown.
    for i in range(visible.shape[1]):
        for j in range(visible.shape[1]):
            difference = visible[:, i] - visible[:, j]
            if i != j and difference.min() >= 0:
                assert difference.sum() == 0 or difference.sum() >= FLOOR, (i, j)
    for breakdown, rows in table[~hidden & (table["breakdown"] != "")].groupby("breakdown"):
        rest = np.ones(len(groups)) - members[:, rows.index].sum(axis=1)
        assert rest.sum() == 0 or rest.sum() >= FLOOR or hidden[0], breakdown
        for cell in np.flatnonzero(hidden & (sizes > 0)):
            assert not np.array_equal(rest, members[:, cell]), breakdown


def test_a_group_hidden_in_one_breakdown_is_not_given_away_by_a_coarser_one():
    # The case an independent check found: one pupil of another sex hidden (with the boys as
    # its partner) in the sex breakdown, while "not female" (61) and "male" (60) were public.
    sex = ["girl"] * 60 + ["boy"] * 60 + ["another"]
    groups = pd.DataFrame(
        {"sex": sex, "female": ["female" if s == "girl" else "not_female" for s in sex]}, dtype="string"
    )
    table = apply(_table(groups), {"ind": groups}).set_index(["breakdown", "group"])
    shown = table["symbol"] != CONFIDENTIAL
    assert not shown[("sex", "another")]
    assert not (shown[("female", "not_female")] and shown[("sex", "boy")])


def test_an_empty_group_never_protects_a_hidden_one():
    groups = pd.DataFrame({"eth": pd.Categorical(["a"] * 5 + ["b"] * 200, categories=["a", "b", "nobody"])})
    table = _table(groups.astype("string"))
    table = pd.concat(
        [table, pd.DataFrame([("ind", "eth", "nobody", 0, 0.4, 0.0)], columns=table.columns)],
        ignore_index=True,
    )
    symbols = apply(table, {"ind": groups}).set_index("group")["symbol"]
    assert symbols["a"] == symbols["nobody"] == CONFIDENTIAL
    assert CONFIDENTIAL in (symbols["b"], symbols["All"])  # "All" - "b" would be the 5


@settings(max_examples=100, deadline=None)
@given(releases(), st.booleans())
def test_the_overlap_counts_are_those_of_the_respondents_themselves(groups, categorical):
    """cells_of's cross-tabulated Gram matrix against respondents × cells membership (a
    categorical column brings a group nobody is in)."""
    if categorical:
        first = groups.columns[0]
        groups = groups.assign(**{first: groups[first].astype("category").cat.add_categories(["nobody"])})
    cells = cells_of(groups)
    members = np.column_stack(
        [
            np.ones(len(groups))
            if breakdown == ""
            else (groups[breakdown].astype("string") == label).fillna(False).to_numpy(float)
            for breakdown, label in cells.names
        ]
    )
    np.testing.assert_array_equal(cells.gram, members.T @ members)
    if categorical:
        assert (groups.columns[0], "nobody") in cells.names
