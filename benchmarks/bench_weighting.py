"""Raking and estimation speed against balance, weightipy, ipfn and R's survey, in one run.

One command: ``make bench-weighting`` (it makes ``.venv-bench`` with the peers installed
beside this project) or ``.venv-bench/bin/python benchmarks/bench_weighting.py``.
Every tool gets the same data frame, weighting columns as pandas categoricals: borough (32),
year group (7), sex (3), ethnic group (6). Estimates: an outcome with 4 categories over 9
domains, schools as clusters within boroughs, calibration-aware. Prints medians, ratios of
each peer to ours (how many times slower it is) and peak memory. Not a test: no assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import estimate, rake  # noqa: E402

VARIABLES = {"borough": 32, "year_group": 7, "sex": 3, "ethnic_group": 6}
SLOW = 60.0  # a tool slower than this at one size is not run at the larger sizes


def make_data(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A skewed sample of ``n`` pupils in ~n/100 schools, and margins it must be raked to."""
    rng = np.random.default_rng(seed)
    schools = max(n // 100, 64)
    school = rng.integers(0, schools, n)
    columns = {
        "borough": pd.Categorical.from_codes(school % 32, [f"b{i}" for i in range(32)]),
        "school": school.astype(str),
    }
    for variable, size in list(VARIABLES.items())[1:]:
        shares = rng.dirichlet(np.full(size, 2.0))
        columns[variable] = pd.Categorical.from_codes(
            rng.choice(size, n, p=shares), [f"{variable[:1]}{i}" for i in range(size)]
        )
    columns["outcome"] = pd.Categorical.from_codes(
        rng.choice(4, n, p=[0.4, 0.45, 0.05, 0.1]), ["more", "same", "less", "dont_know"]
    )
    columns["group"] = pd.Categorical.from_codes(rng.integers(0, 9, n), [f"g{i}" for i in range(9)])
    frame = pd.DataFrame(columns)
    rows = []
    for variable, size in VARIABLES.items():
        for category, share in zip(
            frame[variable].cat.categories, rng.dirichlet(np.full(size, 5.0)), strict=True
        ):
            rows.append((variable, category, share))
    return frame, pd.DataFrame(rows, columns=["variable", "category", "proportion"])


def measure(run: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Median seconds over ``repeats`` (after one warm-up) and peak traced memory in MB."""
    with contextlib.redirect_stdout(io.StringIO()):  # ipfn prints as it goes
        return _measure(run, repeats)


def _measure(run: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    result = run()
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, result


def ours_rake(frame, margins):
    return lambda: rake(frame, margins, tol=1e-10).weights


def balance_rake(frame, margins):
    from balance.weighting_methods.rake import rake as balance_rake_fn

    targets = {
        v: dict(zip(g["category"], g["proportion"], strict=True)) for v, g in margins.groupby("variable")
    }
    ones = pd.Series(np.ones(len(frame)))
    return lambda: balance_rake_fn(
        frame[list(VARIABLES)],
        ones,
        None,
        None,
        variables=list(VARIABLES),
        transformations=None,
        target_margins=targets,
        max_iteration=1000,
        convergence_rate=1e-10,
    )["weight"]


def weightipy_rake(frame, margins):
    import weightipy

    scheme = {
        v: dict(zip(g["category"], g["proportion"] * 100, strict=True))
        for v, g in margins.groupby("variable")
    }
    data = frame[list(VARIABLES)].copy()
    return lambda: weightipy.weight_dataframe(
        data.copy(), weightipy.scheme_from_dict(scheme), weight_column="w"
    )["w"]


def ipfn_rake(frame, margins):
    from ipfn import ipfn

    aggregates = [
        g.set_index("category")["proportion"] * len(frame) for _, g in margins.groupby("variable", sort=False)
    ]
    dimensions = [[v] for v in margins["variable"].unique()]
    data = frame[list(VARIABLES)].assign(w=1.0)
    return lambda: ipfn.ipfn(
        data.copy(), aggregates, dimensions, weight_col="w", convergence_rate=1e-10, max_iteration=100
    ).iteration()["w"]


def r_timing(frame, margins, mode: str, repeats: int, folder: Path) -> tuple[float, float]:
    data = folder / f"data_{len(frame)}.csv"
    if not data.exists():
        frame.to_csv(data, index=False)
    margin_file = folder / "margins.csv"
    margins.to_csv(margin_file, index=False)
    output = subprocess.run(
        ["Rscript", str(ROOT / "benchmarks" / "bench_r.R"), str(data), str(margin_file), str(repeats), mode],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    seconds = [float(line.split()[1]) for line in output if line.startswith("seconds")]
    peak = [float(line.split()[1]) for line in output if line.startswith("peak_mb")][0]
    return statistics.median(seconds), peak


def agreement(ours: pd.Series, theirs) -> float:
    """Largest relative difference between two sets of weights after scaling to one sum."""
    a = np.asarray(ours, float)
    b = np.asarray(theirs, float)
    b = b * a.sum() / b.sum()
    return float(np.max(np.abs(b / a - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    peers = {"balance": balance_rake, "weightipy": weightipy_rake, "ipfn": ipfn_rake}
    too_slow: set[str] = set()
    print(f"{'rows':>9} {'tool':<22} {'median s':>10} {'x ours':>8} {'peak MB':>9}  weights agree")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            frame, margins = make_data(n)
            ours_s, ours_mb, weights = measure(ours_rake(frame, margins), args.repeats)
            print(f"{n:>9} {'ours rake':<22} {ours_s:>10.4f} {1:>8.1f} {ours_mb:>9.1f}")
            for name, build in peers.items():
                if name in too_slow:
                    print(f"{n:>9} {name:<22} skipped: over {SLOW:.0f} s at a smaller size")
                    continue
                repeats = 1 if n >= 1_000_000 else min(args.repeats, 3)
                seconds, peak, theirs = measure(build(frame, margins), repeats)
                too_slow |= {name} if seconds > SLOW else set()
                print(
                    f"{n:>9} {name:<22} {seconds:>10.4f} {seconds / ours_s:>8.1f} {peak:>9.1f}"
                    f"  {agreement(weights, theirs):.1e}"
                )
            seconds, peak = r_timing(frame, margins, "rake", 3, Path(tmp))
            print(f"{n:>9} {'R survey::rake':<22} {seconds:>10.4f} {seconds / ours_s:>8.1f} {peak:>9.1f}")
            weighted = frame.assign(weight=weights)
            est_s, est_mb, _ = measure(
                lambda w=weighted, m=margins: estimate(
                    w, "outcome", "weight", strata="borough", cluster="school", margins=m, by="group"
                ),
                args.repeats,
            )
            print(f"{n:>9} {'ours estimate':<22} {est_s:>10.4f} {1:>8.1f} {est_mb:>9.1f}")
            seconds, peak = r_timing(frame, margins, "estimate", 1 if n >= 1_000_000 else 3, Path(tmp))
            print(f"{n:>9} {'R calibrate+svyby':<22} {seconds:>10.4f} {seconds / est_s:>8.1f} {peak:>9.1f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
