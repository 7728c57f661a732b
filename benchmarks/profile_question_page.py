"""Where a question page's server time goes: cProfile over many GETs of one question page,
in process, on PostgreSQL (issue 11). ``.venv/bin/python benchmarks/profile_question_page.py``."""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from tests.support import Walker, build_world, create_pg_database, drop_pg_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    url = create_pg_database()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    try:
        with app.app_context():
            db.create_all()
            world = build_world()
            db.session.remove()
        walker = Walker(app.test_client())
        first = walker.start_pupil(world.class_code)
        walker.post(first, {"answer": "year_9"})
        page = "/q/gender"
        for _ in range(50):  # warm: templates compiled, caches filled
            assert walker.client.get(page).status_code == 200
        profile = cProfile.Profile()
        began = time.process_time()
        profile.enable()
        for _ in range(args.requests):
            walker.client.get(page)
        profile.disable()
        cpu = (time.process_time() - began) / args.requests * 1000
        print(f"{args.requests} GETs of {page}: {cpu:.2f} ms CPU each (in process, with the test client)")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_database(url)


if __name__ == "__main__":
    main()
