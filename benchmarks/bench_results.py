"""Results end to end: load a wave, weigh it, compute its results snapshot (every indicator by
every breakdown and intersection, the equality view, trends, funnels), prepare a draft from it,
publish it (files rendered once), and serve the analyst's page, the public page and downloads.

One command: ``.venv/bin/python benchmarks/bench_results.py`` (50,000 responses on SQLite, and
on PostgreSQL when TEST_PG_ADMIN_URL reaches a server; ``--sizes 50000,1000000`` for more).
Each (database, size) runs in its own process so its peak memory is its own. The peer, run in
the same command on the same exported microdata, is R's survey package: ``calibrate`` (raking
to the same margins) and ``svyby`` of every indicator by every breakdown. Benchmarks are not
tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Answer, Response, Wave, WaveSchool  # noqa: E402
from survey_app.results import pages  # noqa: E402
from survey_app.services import (  # noqa: E402
    datasets,
    demo,
    microdata,
    release_files,
    releases,
    results,
    snapshots,
    weighting,
)
from survey_app.services.responses import load_version  # noqa: E402
from tests.support import (  # noqa: E402
    create_pg_database,
    drop_pg_database,
    make_staff,
    postgres_available,
    sign_in,
)

PEER = Path(__file__).with_name("bench_results_peer.R")
CHUNK = 20_000


def fill(responses: int) -> Wave:
    """The demo world (schools, margins) with ``responses`` synthetic pupils, bulk inserted."""
    summary = demo.load_demo(responses=0)
    wave = summary.pupil_wave
    rng = random.Random(9)
    version = load_version(wave.version_id)
    ethnicity = [(o.code, o.group) for o in version.question("ethnicity").options if o.group]
    schools = list(db.session.scalars(sa.select(WaveSchool.school_id).where(WaveSchool.wave_id == wave.id)))
    for start in range(0, responses, CHUNK):
        people, answers = [], []
        for _ in range(min(CHUNK, responses - start)):
            key = uuid.UUID(int=rng.getrandbits(128), version=4).hex  # both databases read hex
            people.append((key, wave.id, rng.choice(schools), "en", date.today(), True, False))
            answers += [(key, k, v) for k, v in demo.pupil_answers(rng, ethnicity).items()]
        _insert_frame(
            Response.__table__,
            pd.DataFrame(
                people,
                columns=[
                    "submission_uuid",
                    "wave_id",
                    "school_id",
                    "language",
                    "submitted_on",
                    "completed",
                    "held",
                ],
            ),
        )
        _insert_frame(
            Answer.__table__, pd.DataFrame(answers, columns=["response_uuid", "question_key", "option_code"])
        )
        db.session.commit()
    return wave


def _insert_frame(table: sa.Table, frame: pd.DataFrame) -> None:
    """Inserts a DataFrame's rows (columns named as the table's) in the session's transaction:
    COPY on PostgreSQL, the driver's executemany on SQLite, so building a 1M wave takes minutes."""
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, frame.columns))
            )
            with cursor.copy(statement) as copy:
                for start in range(0, len(frame), CHUNK):
                    copy.write(frame.iloc[start : start + CHUNK].to_csv(index=False, header=False))
        else:
            statement = sa.insert(table).compile(dialect=connection.dialect, column_keys=list(frame.columns))
            cursor.executemany(str(statement), frame.itertuples(index=False, name=None))
    finally:
        cursor.close()


def _per_call(call, repeat: int) -> float:
    """Median seconds of ``call`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def one(url: str, responses: int, export: Path) -> dict:
    """Every phase for one database and size, in this process: the weighing job (load, weigh,
    results snapshot), a draft from the snapshot, publication (files rendered once), then what
    readers meet: the analyst's wave page, the public page and downloads, each beside the time
    it took to compute before snapshots and stored files."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        wave = fill(responses)
        make_staff("analyst@example.org", "analyst")
        timings = {}
        started = time.perf_counter()
        dataset = datasets.load(wave)
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        run = weighting.run(wave, None, dataset=dataset)
        db.session.commit()
        timings["weigh"] = time.perf_counter() - started
        started = time.perf_counter()
        snapshots.build(run, dataset)
        db.session.commit()
        timings["snapshot"] = time.perf_counter() - started
        started = time.perf_counter()
        draft = releases.create_draft(wave, None)
        db.session.commit()
        timings["draft"] = time.perf_counter() - started
        started = time.perf_counter()
        releases.publish(draft, None)
        db.session.commit()
        timings["publish"] = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the export
        cells = len(draft.tables["indicators"]) + len(draft.tables["equality"])
        release_id = draft.id
        recompute = _per_call(lambda: snapshots.analyst_trends(wave, results.wave_results(wave, run)), 1)
        renders = {
            fmt: _per_call(lambda fmt=fmt: release_files.render(draft, fmt), 3) for fmt in ("xlsx", "ods")
        }
        export.write_text("".join(microdata.csv_chunks(microdata.load(wave))))
        pd_margins = weighting.margins_table(wave)
        pd_margins.to_csv(export.with_suffix(".margins.csv"), index=False)
        specs = [
            {
                "key": s.key,
                "question": s.question,
                "numerator": "|".join(s.numerator),
                "filter_col": next(iter(s.base_filter), ""),
                "filter_codes": "|".join(next(iter(s.base_filter.values()), ())),
            }
            for s in results.indicator_specs(wave)
        ]
        export.with_suffix(".specs.json").write_text(json.dumps(specs))
        wave_id = wave.id
        db.session.remove()
    analyst = app.test_client()
    assert sign_in(analyst, "analyst@example.org").status_code == 303
    public = app.test_client()
    page = f"/results/{release_id}"

    def get(client, path):
        assert client.get(path).status_code == 200, path

    analyst_page = _per_call(lambda: get(analyst, f"/analysis/waves/{wave_id}"), 10)
    first_views = []
    for _ in range(5):
        pages._PUBLISHED.clear()  # a worker's first view of the release
        first_views.append(_per_call(lambda: get(public, page), 1))
    public_warm = _per_call(lambda: get(public, page), 20)
    downloads = {
        fmt: _per_call(lambda fmt=fmt: get(public, f"{page}/tables.{fmt}"), 20) for fmt in ("xlsx", "ods")
    }
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {
        "timings": timings,
        "converged": run.converged,
        "cells": cells,
        "analyst_page_ms": analyst_page * 1000,
        "recompute_s": recompute,
        "public_first_ms": sorted(first_views)[2] * 1000,
        "public_warm_ms": public_warm * 1000,
        "download_ms": {fmt: t * 1000 for fmt, t in downloads.items()},
        "render_ms": {fmt: t * 1000 for fmt, t in renders.items()},
        "peak_mb": peak_mb,
    }


def peer(export: Path) -> dict:
    started = time.perf_counter()
    output = subprocess.run(
        ["Rscript", str(PEER), str(export)], check=True, capture_output=True, text=True, timeout=3600
    ).stdout
    return {"total": time.perf_counter() - started, **json.loads(output.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000")
    parser.add_argument("--one", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), Path(args.export))))
        return
    backends = [("SQLite", None)] + ([("PostgreSQL", "pg")] if postgres_available() else [])
    print(
        f"{'database':<11}{'responses':>10}{'load s':>8}{'weigh s':>8}{'snap s':>8}{'job s':>7}"
        f"{'draft s':>8}{'publish s':>10}{'peak MB':>8}{'R s':>7}{'ours/R':>7}"
    )
    readers = []
    for size in (int(s) for s in args.sizes.split(",")):
        for name, kind in backends:
            with tempfile.TemporaryDirectory() as folder:
                url = create_pg_database() if kind else f"sqlite:///{folder}/bench.sqlite3"
                export = Path(folder) / "wave.csv"
                try:
                    out = subprocess.run(
                        [sys.executable, __file__, "--one", url, str(size), "--export", str(export)],
                        check=True,
                        capture_output=True,
                        text=True,
                        cwd=ROOT,
                    ).stdout
                    ours = json.loads(out.strip().splitlines()[-1])
                    theirs = peer(export)
                finally:
                    if kind:
                        drop_pg_database(url)
            t = ours["timings"]
            job = t["load"] + t["weigh"] + t["snapshot"]
            ours_vs_r = (t["weigh"] + t["snapshot"]) / theirs["compute"]
            print(
                f"{name:<11}{size:>10,}{t['load']:>8.2f}{t['weigh']:>8.2f}{t['snapshot']:>8.2f}{job:>7.2f}"
                f"{t['draft']:>8.2f}{t['publish']:>10.2f}{ours['peak_mb']:>8.0f}"
                f"{theirs['compute']:>7.2f}{ours_vs_r:>7.2f}"
            )
            print(
                f"  {ours['cells']} published cells; R read {theirs['read']:.2f} s, calibrate "
                f"{theirs['calibrate']:.2f} s, svyby {theirs['svyby']:.2f} s ({theirs['tables']} tables)"
            )
            readers.append((name, size, ours))
    print(
        "ours/R compares weigh + snapshot (raking, every estimate with its CI, disclosure control, "
        "the equality view, trends, funnels) with R's calibrate + svyby (estimates and SEs only)."
    )
    print(
        f"\n{'database':<11}{'responses':>10}  {'what a reader opens':<28}{'served ms':>10}"
        f"{'computing it ms':>16}{'ratio':>8}"
    )
    for name, size, ours in readers:
        rows = [
            ("analyst wave page", ours["analyst_page_ms"], ours["recompute_s"] * 1000),
            ("public page, first view", ours["public_first_ms"], ours["recompute_s"] * 1000),
            ("public page, warm", ours["public_warm_ms"], ours["recompute_s"] * 1000),
            *(
                (f"{fmt.upper()} download", ours["download_ms"][fmt], ours["render_ms"][fmt])
                for fmt in ("xlsx", "ods")
            ),
        ]
        for what, served, computed in rows:
            print(
                f"{name:<11}{size:>10,}  {what:<28}{served:>10.1f}{computed:>16.0f}{computed / served:>8.0f}x"
            )
    print(
        "Served: from the stored snapshot and files, median of repeated requests in process. "
        "Computing it: re-estimating the wave's tables and trends (pages, before snapshots) or "
        "rendering the workbook (downloads, before stored files)."
    )


if __name__ == "__main__":
    main()
