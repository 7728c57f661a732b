"""Random survey designs for the differential tests, and R's answers for them.

``python -m tests.analysis.cases`` rewrites the committed reference values of the fixed cases
(tests/analysis/data/reference) with the installed R; the suite then runs without R.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REFERENCE_SCRIPT = HERE / "reference.R"
COMMITTED = HERE / "data" / "reference"
FIXED_SEEDS = (11, 12, 13)
FELT = ["more_safe", "no_different", "less_safe", "dont_know"]
ETHNIC_GROUPS = ["Asian", "Black", "Mixed", "White", "Other"]


@dataclass
class Case:
    frame: pd.DataFrame
    margins: pd.DataFrame
    specs: pd.DataFrame  # outcome, where_col, where_val, by_col, by_val
    base_weight: str | None


def make_case(seed: int) -> Case:
    """A clustered, stratified sample with lonely strata, rare categories and missing answers."""
    rng = np.random.default_rng(seed)
    rows = []
    strata = int(rng.integers(3, 7))
    for h in range(strata):
        clusters = 1 if h == 0 else int(rng.integers(1, 7))
        for j in range(clusters):
            size = int(rng.integers(8, 70))
            school_effect = rng.normal(0, 0.6)
            for _ in range(size):
                rows.append((f"b{h}", f"s{h}_{j}", school_effect))
    frame = pd.DataFrame(rows, columns=["borough", "school", "effect"])
    n = len(frame)
    frame["sex"] = rng.choice(["girl", "boy"], n)
    frame["year"] = rng.choice(["y7", "y8", "y9", "y10"], n, p=[0.3, 0.3, 0.25, 0.15])
    ethnic = rng.choice(ETHNIC_GROUPS, n, p=[0.25, 0.2, 0.12, 0.4, 0.03])
    ethnic[:3] = "Other"  # the rare group is never absent
    frame["eth"] = ethnic
    frame["aware"] = rng.choice(["yes", "no"], n, p=[0.7, 0.3])
    less = np.clip(0.03 + 0.05 * (frame["eth"] == "Black") + 0.02 * frame["effect"], 0.005, 0.3)
    more = np.clip(0.4 + 0.1 * frame["effect"], 0.1, 0.8)
    draw = rng.random(n)
    frame["felt"] = np.select(
        [draw < less, draw < less + more, draw < 0.9], ["less_safe", "more_safe", "no_different"], "dont_know"
    )
    frame.loc[rng.random(n) < 0.08, "felt"] = ""
    with_base = seed % 2 == 1
    frame["base"] = np.exp(rng.normal(0, 0.4, n) + 0.3 * frame["effect"]) if with_base else 1.0
    frame = frame.drop(columns="effect")
    margins = _margins(frame, rng, counts=seed % 3 == 0)
    specs = [("felt", "", "", "", ""), ("felt", "aware", "yes", "", "")]
    specs += [("felt", "aware", "yes", "eth", group) for group in ETHNIC_GROUPS]
    return Case(
        frame,
        margins,
        pd.DataFrame(specs, columns=["outcome", "where_col", "where_val", "by_col", "by_val"]),
        "base" if with_base else None,
    )


def _margins(frame: pd.DataFrame, rng: np.random.Generator, counts: bool) -> pd.DataFrame:
    rows = []
    for variable in ("sex", "year", "eth"):
        shares = frame[variable].value_counts(normalize=True).sort_index()
        perturbed = shares * np.exp(rng.normal(0, 0.15, len(shares)))
        perturbed /= perturbed.sum()
        for category, proportion in perturbed.items():
            rows.append((variable, category, proportion, proportion * 48_000 if counts else np.nan))
    return pd.DataFrame(rows, columns=["variable", "category", "proportion", "count"])


def write_case(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    case.frame.assign(base=case.frame["base"].map(lambda x: f"{x:.17g}")).to_csv(
        folder / "data.csv", index=False
    )
    case.margins.to_csv(folder / "margins.csv", index=False, float_format="%.17g")
    case.specs.to_csv(folder / "specs.csv", index=False)


def run_r(root: Path) -> None:
    """Runs the R reference over every case folder under ``root``; R's own error is the failure message."""
    done = subprocess.run(
        ["Rscript", str(REFERENCE_SCRIPT), str(root)], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        cases = sorted(folder.name for folder in root.iterdir())
        raise AssertionError(f"R failed on {cases}:\n{done.stderr[-3000:]}")


def read_answers(folder: Path) -> tuple[np.ndarray, pd.DataFrame]:
    weights = pd.read_csv(folder / "weights.csv")["weight"].to_numpy(float)
    return weights, pd.read_csv(folder / "results.csv", keep_default_na=True)


def rewrite_committed() -> None:
    shutil.rmtree(COMMITTED, ignore_errors=True)
    for seed in FIXED_SEEDS:
        write_case(make_case(seed), COMMITTED / f"case_{seed}")
    run_r(COMMITTED)


if __name__ == "__main__":
    rewrite_committed()
    print(f"wrote R reference values for seeds {FIXED_SEEDS} to {COMMITTED}")
