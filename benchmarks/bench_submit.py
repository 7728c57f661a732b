"""Submit throughput on gunicorn + PostgreSQL on 127.0.0.1 (issue 2, SECURITY P-36).

One command: ``.venv/bin/python benchmarks/bench_submit.py``. It makes a fresh database, loads
the demo world, starts gunicorn, and sends complete pupil submissions from many concurrent
clients, each a distinct pupil with a signed session cookie exactly as a browser would hold.
It reports submissions per second, p50/p99 latency and whether stored rows equal acknowledged
submissions, then measures the peer (``peer_app.py``: one bare INSERT per request) on the same
server settings and prints our throughput as a ratio of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import AccessCode, CodeKind, Response  # noqa: E402
from survey_app.services.demo import load_demo  # noqa: E402
from tests.servers import SERVER_SECRET, free_port, gunicorn_command  # noqa: E402
from tests.support import AWARE_PUPIL, create_pg_database, drop_pg_database  # noqa: E402


def forge_pupils(app, count: int) -> list[tuple[str, dict[str, str]]]:
    """Session cookies and Send bodies for ``count`` pupils who have answered everything."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.app_context():
        wave = db.session.scalar(sa.select(AccessCode).where(AccessCode.kind == CodeKind.CLASS))
        wave_id, version_id = wave.wave_id, wave.wave.version_id
        codes = [
            (c.id, c.school_id)
            for c in db.session.scalars(sa.select(AccessCode).where(AccessCode.kind == CodeKind.CLASS))
        ]
    serializer = app.session_interface.get_signing_serializer(app)
    pupils = []
    for i in range(count):
        code_id, school_id = codes[i % len(codes)]
        submission_uuid = str(uuid.uuid4())
        with app.test_request_context():
            token = generate_csrf()
            session["draft"] = {
                "wave_id": wave_id,
                "version_id": version_id,
                "school_id": school_id,
                "code_id": code_id,
                "language": "en",
                "on_kiosk": True,
                "submission_uuid": submission_uuid,
                "answers": dict(AWARE_PUPIL),
                "assented": True,
                "touched_at": time.time(),
            }
            cookie = serializer.dumps(dict(session))
        pupils.append((cookie, {"csrf_token": token, "submission_uuid": submission_uuid}))
    return pupils


def serve(module: str, env: dict[str, str], workers: int):
    """gunicorn as production runs it (deploy/gunicorn.conf.py), with ``workers`` workers;
    ours and every peer alike."""
    import subprocess

    port = free_port()
    process = subprocess.Popen(
        gunicorn_command(module, port, workers, "--backlog", "2048"),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.post(f"{base}/nothing", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    return process, base


def hammer(base: str, pupils, concurrency: int, rate: float | None = None) -> tuple[float, list[float], int]:
    """Sends every submission once; returns wall time, latencies and acknowledged count.

    Without ``rate`` it is a closed loop (``concurrency`` clients, each sending as soon as the
    last answer came back): the saturation throughput. With ``rate`` it is an open loop: the
    i-th submission is due at i/rate seconds and its latency counts from then, so queueing
    behind a slow server is measured instead of hidden.
    """
    latencies: list[float] = []
    acknowledged = 0
    lock = threading.Lock()
    local = threading.local()

    def send(numbered):
        nonlocal acknowledged
        index, (cookie, body) = numbered
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        http.cookies.clear()  # each request is a different pupil's device
        started = time.perf_counter()
        if rate:
            due = begin + index / rate
            time.sleep(max(0.0, due - started))
            started = due
        response = http.post(
            f"{base}/send", data=body, cookies={"session": cookie}, allow_redirects=False, timeout=60
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            acknowledged += response.status_code == 303 and response.headers.get("Location") == "/thanks"

    begin = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, enumerate(pupils)))
    return time.perf_counter() - begin, latencies, acknowledged


def report(name: str, wall: float, latencies: list[float], acknowledged: int, total: int) -> float:
    rate = acknowledged / wall
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<34} {rate:8.0f}/s   p50 {cuts[49] * 1000:6.1f} ms   "
        f"p99 {cuts[98] * 1000:6.1f} ms   acknowledged {acknowledged}/{total}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    # SECURITY P-36: twice the London-wide worst case of ~56 submissions a second.
    parser.add_argument("--rate", type=float, default=112.0)
    args = parser.parse_args()

    url = create_pg_database()
    try:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SERVER_SECRET)
        with app.app_context():
            db.create_all()
            load_demo(responses=0)
            db.session.commit()
        pupils = forge_pupils(app, 2 * args.submissions)
        saturating, paced = pupils[: args.submissions], pupils[args.submissions :]
        env = {"DATABASE_URL": url, "SECRET_KEY": SERVER_SECRET, "SURVEY_CONFIG": "development"}
        print(
            f"{args.submissions} submissions per run, {args.concurrency} concurrent clients, "
            f"{args.workers} gunicorn workers, PostgreSQL on 127.0.0.1, {os.cpu_count()} cores"
        )
        process, base = serve("wsgi:app", env, args.workers)
        try:
            ours = report(
                f"ours, saturated ({args.concurrency} clients)",
                *hammer(base, saturating, args.concurrency),
                len(saturating),
            )
            report(
                f"ours, paced at {args.rate:.0f}/s (P-36)",
                *hammer(base, paced, 4 * args.concurrency, args.rate),
                len(paced),
            )
        finally:
            process.terminate()
            process.wait()
        with app.app_context():
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
            answers = db.session.scalar(sa.text("SELECT count(*) FROM answer"))
            db.session.execute(
                sa.text("CREATE TABLE peer_response (id uuid PRIMARY KEY, body text NOT NULL)")
            )
            db.session.commit()
        print(
            f"stored responses {stored} (answers {answers}) for {len(pupils)} acknowledged; "
            f"stored == acknowledged: {stored == len(pupils)}"
        )
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        process, base = serve("benchmarks.peer_app:app", {"PEER_DSN": dsn}, args.workers)
        try:
            fresh = [(cookie, {**body, "submission_uuid": str(uuid.uuid4())}) for cookie, body in saturating]
            peer = report(
                f"peer, saturated ({args.concurrency} clients)",
                *hammer(base, fresh, args.concurrency),
                len(fresh),
            )
        finally:
            process.terminate()
            process.wait()
        print(f"ratio ours/peer: {ours / peer:.2f}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_database(url)


if __name__ == "__main__":
    main()
