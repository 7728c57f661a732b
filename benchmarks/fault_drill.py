"""A database outage in the middle of a school's tutor period, on the production stack (issue 10).

One command: ``.venv/bin/python benchmarks/fault_drill.py`` (``make bench`` runs it too).

nginx over HTTPS, three production gunicorn workers, Redis and PostgreSQL (reached through a
relay the drill can cut), as ``tests/production.py`` builds them. Class devices walk the pupil
journey at once. A few seconds in, the database is cut away; a few seconds later it is back.
Each device does what a pupil does with a "try again shortly" page: waits and tries again. It
prints how each answer was met (and how fast the 503s came), how long after the database came
back the first answers were sent again, and whether every acknowledged submission is stored
exactly once with all its answers. It is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Response  # noqa: E402
from tests.production import TcpRelay, production_stack  # noqa: E402
from tests.servers import HttpClient, HttpResponse  # noqa: E402
from tests.support import (  # noqa: E402
    AWARE_PUPIL,
    Walker,
    build_world,
    create_pg_database,
    drop_pg_database,
    stored_answers,
)


class PatientClient(HttpClient):
    """A device whose pupil, shown "try again shortly", waits and tries again: every answer
    the server gives is recorded with how long it took."""

    def __init__(self, base: str, session: requests.Session, answers: list, lock: threading.Lock) -> None:
        super().__init__(base, session)
        self.answers, self.lock = answers, lock

    def _patiently(self, call) -> HttpResponse:
        while True:
            started = time.monotonic()
            response = call()
            with self.lock:
                self.answers.append((started, time.monotonic() - started, response.status_code))
            if response.status_code != 503:
                return response
            time.sleep(0.5)

    def get(self, path: str) -> HttpResponse:
        return self._patiently(lambda: super(PatientClient, self).get(path))

    def post(self, path: str, data: dict | None = None) -> HttpResponse:
        return self._patiently(lambda: super(PatientClient, self).post(path, data))


def device(stack, code: str, stop: threading.Event, record: dict, lock: threading.Lock) -> None:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(stack.certificate)
    session.headers["Referer"] = stack.https + "/"
    walker = Walker(PatientClient(stack.https, session, record["answers"], lock))
    first_code: str | None = code
    while not stop.is_set():
        try:
            walker.answer_all(walker.start_pupil(first_code), AWARE_PUPIL)
            sent = walker.send()
        except AssertionError:  # a page the pupil could not get past
            with lock:
                record["stuck"] += 1
            return
        first_code = None
        with lock:
            if sent.status_code == 303 and sent.headers["Location"] == "/thanks":
                record["sent"].append(time.monotonic())
            else:
                record["refused_sends"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--before", type=float, default=5, help="seconds of normal running first")
    parser.add_argument("--outage", type=float, default=5, help="seconds without the database")
    parser.add_argument("--after", type=float, default=10, help="seconds of running afterwards")
    args = parser.parse_args()

    url = create_pg_database()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    relay = TcpRelay(urlsplit(url.replace("+psycopg", "")).port or 5432)
    relay.start()
    try:
        with app.app_context():
            db.create_all()
            world = build_world()
            db.session.remove()
        through_relay = url.replace(f":{urlsplit(url).port}/", f":{relay.port}/")
        lock, stop = threading.Lock(), threading.Event()
        record: dict = {"answers": [], "sent": [], "stuck": 0, "refused_sends": 0}
        with production_stack(through_relay, Path(tempfile.mkdtemp())) as stack:
            codes = [world.class_code, world.other_class_code]
            threads = [
                threading.Thread(target=device, args=(stack, codes[i % 2], stop, record, lock))
                for i in range(args.devices)
            ]
            for thread in threads:
                thread.start()
            time.sleep(args.before)
            cut_at = time.monotonic()
            relay.cut()
            time.sleep(args.outage)
            relay.start()
            back_at = time.monotonic()
            time.sleep(args.after)
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
        with app.app_context():
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
            complete = sum(answers == AWARE_PUPIL for answers in stored_answers())
        report(args, record, cut_at, back_at, stored, complete)
    finally:
        relay.cut()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_database(url)


def report(args, record: dict, cut_at: float, back_at: float, stored: int, complete: int) -> None:
    statuses = Counter(status for _, _, status in record["answers"])
    refused = [took for _, took, status in record["answers"] if status == 503]
    during = [status for started, _, status in record["answers"] if cut_at <= started < back_at]
    sent_after = [at - back_at for at in record["sent"] if at >= back_at]
    acknowledged = len(record["sent"])
    print(
        f"{args.devices} class devices over HTTPS through nginx, 3 production gunicorn workers; "
        f"database cut for {args.outage:.0f} s after {args.before:.0f} s"
    )
    print(f"  answers by status: {dict(sorted(statuses.items()))}")
    print(f"  during the outage: {len(during)} requests, {during.count(503)} answered 503, the rest served")
    if refused:
        cuts = statistics.quantiles(refused, n=100) if len(refused) > 1 else refused * 99
        print(f"  503s: {len(refused)}, p50 {cuts[49] * 1000:.0f} ms, max {max(refused) * 1000:.0f} ms")
    if sent_after:
        print(f"  first answers sent {min(sent_after):.2f} s after the database came back")
    print(
        f"  pupils who could not get past a page: {record['stuck']}; Sends refused: {record['refused_sends']}"
    )
    print(
        f"  acknowledged {acknowledged}, stored {stored} responses, {complete} with every answer sent; "
        f"stored == acknowledged: {stored == acknowledged == complete}"
    )


if __name__ == "__main__":
    main()
