"""Fieldwork monitor page time at a London-wide wave: 50,000 responses across 500 schools.

One command: ``.venv/bin/python benchmarks/bench_monitor.py`` (SQLite, and PostgreSQL when
TEST_PG_ADMIN_URL reaches a server). It fills a fresh database, signs in as an admin and times
the whole page through Flask (query, template, headers). The peer is the same three grouped
queries run bare on the same database: the floor the page cannot beat.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import AccessCode, Borough, Response, School, Wave, WaveSchool  # noqa: E402
from survey_app.services import answer_codes, monitor  # noqa: E402
from survey_app.services.versions import load_version  # noqa: E402
from tests.support import (  # noqa: E402
    AWARE_PUPIL,
    build_world,
    create_pg_database,
    drop_pg_database,
    make_staff,
    postgres_available,
    sign_in,
)


def fill(schools: int, responses: int) -> int:
    """A wave with ``schools`` schools, two class codes each, and ``responses`` responses."""
    rng = random.Random(5)
    world = build_world()
    wave = db.session.get(Wave, world.pupil_wave_id)
    boroughs = db.session.scalars(sa.select(Borough)).all()
    made = [
        School(urn=f"5{i:05d}", name=f"Bench School {i}", borough=boroughs[i % 33]) for i in range(schools)
    ]
    db.session.add_all(made)
    db.session.flush()
    db.session.add_all(WaveSchool(wave=wave, school=s, expected_pupils=rng.randint(300, 1500)) for s in made)
    db.session.execute(
        sa.insert(AccessCode),
        [
            {
                "wave_id": wave.id,
                "school_id": s.id,
                "kind": "class",
                "code": f"B{s.id:05d}{k}XYZ"[:10],
                "class_label": f"C{k}",
                "uses": 0,
                "starts": rng.randint(60, 120),
            }
            for s in made
            for k in range(2)
        ],
    )
    codes = answer_codes.encode(answer_codes.choice_questions(load_version(wave.version_id)), AWARE_PUPIL)
    for start in range(0, responses, 5000):
        batch = [uuid.uuid4() for _ in range(min(5000, responses - start))]
        db.session.execute(
            sa.insert(Response),
            [
                {
                    "submission_uuid": u,
                    "wave_id": wave.id,
                    "school_id": rng.choice(made).id,
                    "language": "en",
                    "submitted_on": date.today(),
                    "completed": True,
                    "answer_codes": codes,
                }
                for u in batch
            ],
        )
    db.session.commit()
    return wave.id


def median_ms(run, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(url: str, schools: int, responses: int, repeats: int) -> None:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        wave_id = fill(schools, responses)
        make_staff("bench@example.org", "admin")
        wave = db.session.get(Wave, wave_id)
        bare = median_ms(lambda: monitor.fieldwork(wave), repeats)
        db.session.remove()
    client = app.test_client()
    sign_in(client, "bench@example.org")

    def page():
        response = client.get(f"/admin/waves/{wave_id}/monitor")
        assert response.status_code == 200 and b"Bench School 499" in response.data

    full = median_ms(page, repeats)
    name = url.split(":", 1)[0]
    print(f"{name:<22} page {full:7.1f} ms   queries alone {bare:7.1f} ms   page/queries {full / bare:4.1f}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"{args.responses} responses, {args.schools} schools; median of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/bench.sqlite3", args.schools, args.responses, args.repeats)
    if postgres_available():
        url = create_pg_database()
        try:
            measure(url, args.schools, args.responses, args.repeats)
        finally:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
