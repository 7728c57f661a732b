"""Results as analysts and readers meet them: ``flask results weigh`` (load the wave, weigh it,
compute its results snapshot: every indicator by every breakdown and intersection, the equality
view, trends, funnels), a draft prepared from the web page and from ``flask results release``,
``flask results publish``, then the analyst's page, the public page and downloads.

One command: ``.venv/bin/python benchmarks/bench_results.py`` (50,000 responses on SQLite, and
on PostgreSQL when TEST_PG_ADMIN_URL reaches a server; ``--sizes 50000,1000000`` for more, run on
PostgreSQL and on SQLite only for ``--sqlite-sizes``). Each size runs once alone and once as the
second wave of its questionnaire, each in its own process so its peak memory is its own. Beside
each: the database's own scan of the same rows and R's survey package on the same exported
microdata (``calibrate`` to the same margins and ``svyby`` of every indicator by every
breakdown), in the same command. On PostgreSQL it also weighs a 4,000-response wave right after
a 50,000-response one before and after ANALYZE (the stale-statistics case). Benchmarks are not
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
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Release, Response, Wave  # noqa: E402
from survey_app.results import pages  # noqa: E402
from survey_app.services import (  # noqa: E402
    datasets,
    demo,
    microdata,
    release_files,
    results,
    snapshots,
    weighting,
)
from tests.support import (  # noqa: E402
    create_pg_database,
    csrf_token,
    drop_pg_database,
    later_wave,
    make_staff,
    postgres_available,
    sign_in,
    synthetic_responses,
)

PEER = Path(__file__).with_name("bench_results_peer.R")
CHUNK = 20_000
ANALYST, ADMIN = "analyst@example.org", "admin@example.org"


def fill(wave: Wave, responses: int, seed: int) -> None:
    """``responses`` synthetic pupils in ``wave``'s schools, bulk inserted as Send stores them."""
    rng = random.Random(seed)
    for start in range(0, responses, CHUNK):
        people = pd.DataFrame(synthetic_responses(wave, min(CHUNK, responses - start), rng))
        people["submission_uuid"] = people["submission_uuid"].map(lambda key: key.hex)  # both read hex
        _insert_frame(Response.__table__, people)
        db.session.commit()


def _insert_frame(table: sa.Table, frame: pd.DataFrame) -> None:
    """Inserts a DataFrame's rows (columns named as the table's) in the session's transaction:
    COPY on PostgreSQL (bytes as bytea's hex text), the driver's executemany on SQLite, so
    building a 1M wave takes seconds."""
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            frame = frame.assign(answer_codes=frame["answer_codes"].map(lambda b: "\\x" + b.hex()))
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


def flask(app, *args: object) -> str:
    """Runs a ``flask`` command in this process, as an analyst at a terminal would."""
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def build(app, responses: int, earlier: bool) -> int:
    """The wave to measure: the demo's pupil wave, or (``earlier``) a second wave of the same
    questionnaire after the first was weighed and published, so trends and stale planner
    statistics are part of what is measured. Returns its id."""
    with app.app_context():
        db.create_all()
        make_staff(ANALYST, "analyst")
        make_staff(ADMIN, "admin")
        first = demo.load_demo(responses=0).pupil_wave
        fill(first, responses, seed=9)
        if not earlier:
            return first.id
        flask(app, "results", "weigh", "--wave", first.id)
        draft = flask(app, "results", "release", "--wave", first.id, "--by", ANALYST).strip()
        flask(app, "results", "publish", draft, "--by", ADMIN)
        second = later_wave(db.session.get(Wave, first.id), "Bench second wave", 0, seed=1)
        fill(second, responses, seed=10)
        return second.id


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def scan_seconds(wave_id: int) -> float:
    """The database's own read of the wave's rows, answers included, with nothing sent back."""
    statement = sa.text(
        "SELECT count(*), sum(length(answer_codes)) FROM response WHERE wave_id = :wave AND NOT held"
    )
    return _timed(lambda: db.session.execute(statement, {"wave": wave_id}).all())[0]


def _per_call(call, repeat: int) -> float:
    """Median seconds of ``call`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def one(url: str, responses: int, earlier: bool, export: Path) -> dict:
    """Every path for one database, size and history, in this process: the database's scan of
    the wave, the load alone, then what analysts run (``flask results weigh``, a draft from the
    web page and from ``flask results release``, ``flask results publish``), then what readers
    meet (the analyst's wave page, the public page, downloads), each beside computing it."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    wave_id = build(app, responses, earlier)
    timings = {}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))  # what autovacuum does soon after a bulk load
            db.session.commit()
        wave = db.session.get(Wave, wave_id)
        timings["scan"] = min(scan_seconds(wave_id) for _ in range(3))
        timings["load"] = _timed(lambda: datasets.load(wave))[0]
        db.session.remove()
        timings["weigh"], output = _timed(lambda: flask(app, "results", "weigh", "--wave", wave_id))
        timings["release_cli"], cli_draft = _timed(
            lambda: flask(app, "results", "release", "--wave", wave_id, "--by", ANALYST)
        )
    analyst = app.test_client()
    assert sign_in(analyst, ANALYST).status_code == 303
    token = csrf_token(analyst.get(f"/analysis/waves/{wave_id}").get_data(as_text=True))
    timings["release_web"], posted = _timed(
        lambda: analyst.post(f"/analysis/waves/{wave_id}/releases", data={"csrf_token": token})
    )
    assert posted.status_code == 303 and "/analysis/releases/" in posted.headers["Location"], posted.headers
    release_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        timings["publish"] = _timed(lambda: flask(app, "results", "publish", release_id, "--by", ADMIN))[0]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the export
        wave = db.session.get(Wave, wave_id)
        run = snapshots.latest(wave).weight_run
        draft = db.session.get(Release, release_id)
        cells = len(draft.tables["indicators"]) + len(draft.tables["equality"])
        recompute = _per_call(lambda: snapshots.analyst_trends(wave, results.wave_results(wave, run)), 1)
        renders = {
            fmt: _per_call(lambda fmt=fmt: release_files.render(draft, fmt), 3) for fmt in ("xlsx", "ods")
        }
        export.write_text("".join(microdata.csv_chunks(microdata.load(wave))))
        weighting.margins_table(wave).to_csv(export.with_suffix(".margins.csv"), index=False)
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
        converged = "converged" in output and cli_draft.strip().isdigit()
        db.session.remove()
    public = app.test_client()
    page = f"/results/{release_id}"

    def get(client, path):
        response = client.get(path)
        assert response.status_code == 200, path
        return response

    analyst_page = _per_call(lambda: get(analyst, f"/analysis/waves/{wave_id}"), 10)
    analyst_page_kb = len(get(analyst, f"/analysis/waves/{wave_id}").data) / 1024
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
        "converged": converged,
        "cells": cells,
        "analyst_page_ms": analyst_page * 1000,
        "analyst_page_kb": analyst_page_kb,
        "recompute_s": recompute,
        "public_first_ms": sorted(first_views)[2] * 1000,
        "public_warm_ms": public_warm * 1000,
        "download_ms": {fmt: t * 1000 for fmt, t in downloads.items()},
        "render_ms": {fmt: t * 1000 for fmt, t in renders.items()},
        "peak_mb": peak_mb,
    }


def stale(url: str, older: int, newer: int) -> dict:
    """A ``newer``-response wave weighed right after an ``older``-response one, its rows not yet
    in the planner's statistics (autovacuum held off), then again after ANALYZE."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        db.session.execute(sa.text("ALTER TABLE response SET (autovacuum_enabled = false)"))
        db.session.commit()
        first = demo.load_demo(responses=0).pupil_wave
        fill(first, older, seed=9)
        db.session.execute(sa.text("ANALYZE response"))
        second = later_wave(first, "Bench second wave", 0, seed=1)
        fill(second, newer, seed=10)
        wave_id = second.id
        db.session.remove()
        out = {"stale": _timed(lambda: flask(app, "results", "weigh", "--wave", wave_id))[0]}
        db.session.execute(sa.text("ANALYZE response"))
        db.session.commit()
        out["analysed"] = _timed(lambda: flask(app, "results", "weigh", "--wave", wave_id))[0]
        db.session.remove()
        db.engine.dispose()
    return out


def peer(export: Path) -> dict:
    started = time.perf_counter()
    output = subprocess.run(
        ["Rscript", str(PEER), str(export)], check=True, capture_output=True, text=True, timeout=3600
    ).stdout
    return {"total": time.perf_counter() - started, **json.loads(output.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000")
    parser.add_argument("--sqlite-sizes", default="50000", help="SQLite only runs these sizes")
    parser.add_argument("--one", nargs=3, metavar=("URL", "N", "EARLIER"), help=argparse.SUPPRESS)
    parser.add_argument("--stale", nargs=3, metavar=("URL", "OLDER", "NEWER"), help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        url, size, earlier = args.one
        print(json.dumps(one(url, int(size), earlier == "1", Path(args.export))))
        return
    if args.stale:
        print(json.dumps(stale(args.stale[0], int(args.stale[1]), int(args.stale[2]))))
        return
    backends = [("SQLite", None)] + ([("PostgreSQL", "pg")] if postgres_available() else [])
    sqlite_sizes = {int(s) for s in args.sqlite_sizes.split(",")}
    print(
        f"{'database':<11}{'responses':>10} {'earlier':<8}{'scan s':>7}{'load s':>7}{'weigh s':>8}"
        f"{'release web':>12}{'release cli':>12}{'publish s':>10}{'peak MB':>8}{'R s':>7}{'weigh/R':>8}"
    )
    readers = []
    for size in (int(s) for s in args.sizes.split(",")):
        for name, kind in backends:
            if not kind and size not in sqlite_sizes:
                continue
            for earlier in (False, True):
                ours, theirs = _in_own_process(kind, size, earlier)
                t = ours["timings"]
                print(
                    f"{name:<11}{size:>10,} {'yes' if earlier else 'no':<8}{t['scan']:>7.2f}{t['load']:>7.2f}"
                    f"{t['weigh']:>8.2f}{t['release_web']:>12.2f}{t['release_cli']:>12.2f}"
                    f"{t['publish']:>10.2f}{ours['peak_mb']:>8.0f}{theirs['total']:>7.2f}"
                    f"{t['weigh'] / theirs['total']:>8.2f}"
                )
                readers.append((name, size, earlier, ours))
    print(
        "scan: the database counting the wave's rows and summing their answers' lengths (the floor of any "
        "load); load: the wave as a DataFrame; weigh: `flask results weigh` (load, raking, every "
        "estimate with its CI, disclosure control, the equality view, trends, funnels); release web/cli: "
        "a draft as POST .../releases and `flask results release` prepare it; R s: Rscript reading the "
        "exported CSV, calibrate and svyby of every indicator by every breakdown (estimates and SEs only)."
    )
    if postgres_available():
        url = create_pg_database()
        try:
            stale_run = json.loads(_run([sys.executable, __file__, "--stale", url, "50000", "4000"]))
        finally:
            drop_pg_database(url)
        print(
            f"\nPostgreSQL, a 4,000-response wave right after a 50,000-response one: `flask results weigh` "
            f"{stale_run['stale']:.2f} s with stale statistics, {stale_run['analysed']:.2f} s after ANALYZE "
            f"(ratio {stale_run['stale'] / stale_run['analysed']:.2f})"
        )
    print(
        f"\n{'database':<11}{'responses':>10} {'earlier':<8}{'what a reader opens':<28}{'served ms':>10}"
        f"{'computing it ms':>16}{'ratio':>8}"
    )
    for name, size, earlier, ours in readers:
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
                f"{name:<11}{size:>10,} {'yes' if earlier else 'no':<8}{what:<28}{served:>10.1f}"
                f"{computed:>16.0f}{computed / served:>8.0f}x"
            )
        print(f"{'':<30}analyst wave page size: {ours['analyst_page_kb']:.0f} KB")
    print(
        "Served: from the stored snapshot and files, median of repeated requests in process. "
        "Computing it: re-estimating the wave's tables and trends (pages, before snapshots) or "
        "rendering the workbook (downloads, before stored files)."
    )


def _run(command: list[str]) -> str:
    return (
        subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        .stdout.strip()
        .splitlines()[-1]
    )


def _in_own_process(kind: str | None, size: int, earlier: bool) -> tuple[dict, dict]:
    """One (database, size, history) in a process of its own, so its peak memory is its own."""
    with tempfile.TemporaryDirectory() as folder:
        url = create_pg_database() if kind else f"sqlite:///{folder}/bench.sqlite3"
        export = Path(folder) / "wave.csv"
        try:
            ours = json.loads(
                _run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        url,
                        str(size),
                        str(int(earlier)),
                        "--export",
                        str(export),
                    ]
                )
            )
            return ours, peer(export)
        finally:
            if kind:
                drop_pg_database(url)


if __name__ == "__main__":
    main()
