"""Results end to end: load a wave, weigh it, prepare a full release (every indicator by every
breakdown and intersection, the equality view and trends), and serve the published page.

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
from survey_app.services import (  # noqa: E402
    datasets,
    demo,
    microdata,
    releases,
    results,
    weighting,
)
from survey_app.services.responses import load_version  # noqa: E402
from tests.support import create_pg_database, drop_pg_database, postgres_available  # noqa: E402

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


def one(url: str, responses: int, export: Path) -> dict:
    """Every phase for one database and size, in this process."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        wave = fill(responses)
        timings = {}
        started = time.perf_counter()
        dataset = datasets.load(wave)
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        run = weighting.run(wave, None, dataset=dataset)
        db.session.commit()
        timings["weigh"] = time.perf_counter() - started
        started = time.perf_counter()
        draft = releases.create_draft(wave, None, dataset=dataset)
        db.session.commit()
        timings["release"] = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the export
        cells = len(draft.tables["indicators"]) + len(draft.tables["equality"])
        releases.publish(draft, None)
        db.session.commit()
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
        client = app.test_client()
        page = f"/results/{draft.id}"
        client.get(page)
        started = time.perf_counter()
        for _ in range(20):
            assert client.get(page).status_code == 200
        page_time = (time.perf_counter() - started) / 20
        db.session.remove()
        db.engine.dispose()
    return {
        "timings": timings,
        "converged": run.converged,
        "cells": cells,
        "page_ms": page_time * 1000,
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
        f"{'database':<11}{'responses':>10}{'load s':>8}{'weigh s':>8}{'release s':>10}"
        f"{'total s':>8}{'peak MB':>8}{'page ms':>8}{'pages/s':>8}{'R s':>7}{'ours/R':>7}"
    )
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
            total = sum(t.values())
            ours_vs_r = (t["weigh"] + t["release"]) / theirs["compute"]
            print(
                f"{name:<11}{size:>10,}{t['load']:>8.2f}{t['weigh']:>8.2f}{t['release']:>10.2f}"
                f"{total:>8.2f}{ours['peak_mb']:>8.0f}{ours['page_ms']:>8.1f}"
                f"{1000 / ours['page_ms']:>8.0f}{theirs['compute']:>7.2f}{ours_vs_r:>7.2f}"
            )
            shares = ", ".join(f"{k} {v / total:.0%}" for k, v in t.items())
            print(
                f"  phases: {shares}; {ours['cells']} published cells; R read "
                f"{theirs['read']:.2f} s, calibrate {theirs['calibrate']:.2f} s, "
                f"svyby {theirs['svyby']:.2f} s ({theirs['tables']} tables)"
            )
    print(
        "ours/R compares weigh + release (raking, every estimate with its CI, disclosure "
        "control, equality view, trends) with R's calibrate + svyby (estimates and SEs only)."
    )


if __name__ == "__main__":
    main()
