"""``python -m analysis``: the DESIGN §7.6 contract, run as analysts run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import estimate, rake
from analysis.estimates import COLUMNS
from tests.analysis.cases import make_case

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    case = make_case(13)
    case.frame.to_csv(folder / "data.csv", index=False)
    case.margins.to_csv(folder / "margins.csv", index=False)
    return folder, case


def test_weigh_then_estimate_matches_the_python_api(files):
    folder, case = files
    done = run(
        "weigh",
        "data.csv",
        "--margins",
        "margins.csv",
        "--base-weight",
        "base",
        "--out",
        "weighted.csv",
        "--report",
        "report.json",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((folder / "report.json").read_text())
    assert report["converged"] and report["diagnostics"]["deff_kish"] >= 1
    weighted = pd.read_csv(folder / "weighted.csv", keep_default_na=False)
    api = rake(case.frame, case.margins, base_weight="base").weights
    assert weighted["weight"].to_numpy() == pytest.approx(api.to_numpy(), rel=1e-12)
    done = run(
        "estimate",
        "weighted.csv",
        "--weight",
        "weight",
        "--outcome",
        "felt",
        "--margins",
        "margins.csv",
        "--base-weight",
        "base",
        "--strata",
        "borough",
        "--cluster",
        "school",
        "--where",
        "aware=yes",
        "--by",
        "eth",
        "--ci",
        "beta",
        "--out",
        "estimates.csv",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(folder / "estimates.csv", keep_default_na=False)
    assert list(table.columns) == COLUMNS
    expected = estimate(
        case.frame.assign(weight=api, felt=case.frame["felt"].replace("", None)),
        "felt",
        "weight",
        strata="borough",
        cluster="school",
        margins=case.margins,
        base_weight="base",
        where={"aware": "yes"},
        by="eth",
        ci="beta",
    )
    assert table["se"].to_numpy() == pytest.approx(expected["se"].to_numpy(), rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weigh", "nothing.csv", "--margins", "margins.csv", "--out", "x.csv"), "No such file"),
        (("weigh", "data.csv", "--margins", "data.csv", "--out", "x.csv"), "margins need the columns"),
        (
            (
                "estimate",
                "data.csv",
                "--weight",
                "base",
                "--outcome",
                "felt",
                "--where",
                "aware",
                "--out",
                "x.csv",
            ),
            '--where takes "COLUMN=VALUE"',
        ),
        (
            ("estimate", "data.csv", "--weight", "nope", "--outcome", "felt", "--out", "x.csv"),
            "weight column 'nope'",
        ),
        (
            ("weigh", "data.csv", "--margins", "margins.csv", "--bounds", "x", "--out", "x.csv"),
            "--bounds takes two numbers",
        ),
    ],
)
def test_errors_exit_2_with_a_message_and_no_traceback(files, args, message):
    folder, _ = files
    done = run(*args, cwd=folder)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_non_convergence_writes_weights_warns_and_exits_1(files):
    folder, _ = files
    done = run(
        "weigh",
        "data.csv",
        "--margins",
        "margins.csv",
        "--max-iter",
        "1",
        "--bounds",
        "0.99,1.01",
        "--out",
        "w.csv",
        cwd=folder,
    )
    assert done.returncode == 1 and "did not converge" in done.stderr
    assert (folder / "w.csv").exists()


def test_estimates_end_with_the_design_degrees_of_freedom(files):
    folder, case = files
    done = run(
        "estimate",
        "data.csv",
        "--weight",
        "base",
        "--outcome",
        "felt",
        "--strata",
        "borough",
        "--cluster",
        "school",
        "--out",
        "df.csv",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(folder / "df.csv", keep_default_na=False)
    assert list(table.columns)[-1] == "df"
    answered = case.frame[case.frame["felt"] != ""]
    clusters = answered.groupby(["borough", "school"]).ngroups
    assert (table["df"] == clusters - answered["borough"].nunique()).all()


def test_weights_that_do_not_meet_the_margins_are_refused(files):
    folder, _ = files
    done = run(
        "estimate",
        "data.csv",
        "--weight",
        "base",
        "--outcome",
        "felt",
        "--margins",
        "margins.csv",
        "--base-weight",
        "base",
        "--out",
        "refused.csv",
        cwd=folder,
    )
    assert done.returncode == 2 and "the weights do not meet margin '" in done.stderr
    assert "Traceback" not in done.stderr and not (folder / "refused.csv").exists()


def test_an_empty_file_is_named_and_called_empty(files):
    folder, _ = files
    (folder / "empty.csv").write_text("")
    done = run("weigh", "empty.csv", "--margins", "margins.csv", "--out", "x.csv", cwd=folder)
    assert done.returncode == 2 and "empty.csv is empty" in done.stderr
    assert "No columns to parse" not in done.stderr


def test_margins_the_sample_cannot_meet_exit_1_with_finite_weights(tmp_path):
    pd.DataFrame({"x": ["a", "a", "b"] * 3, "y": ["p", "q", "p"] * 3}).to_csv(
        tmp_path / "data.csv", index=False
    )
    pd.DataFrame(
        {
            "variable": ["x", "x", "y", "y"],
            "category": ["a", "b", "p", "q"],
            "proportion": [0.1, 0.9, 0.1, 0.9],
        }
    ).to_csv(tmp_path / "margins.csv", index=False)
    done = run(
        "weigh",
        "data.csv",
        "--margins",
        "margins.csv",
        "--max-iter",
        "100000",
        "--out",
        "w.csv",
        "--report",
        "report.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "cannot meet margin 'y'" in done.stderr
    assert "overflow" not in done.stderr and "RuntimeWarning" not in done.stderr
    weights = pd.read_csv(tmp_path / "w.csv")["weight"]
    assert weights.notna().all() and (weights > 0).all()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["converged"] is False and report["max_error"] > 0
