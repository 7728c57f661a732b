"""The whole pupil journey on gunicorn + PostgreSQL on 127.0.0.1, against a bare peer (issue 11).

One command: ``.venv/bin/python benchmarks/bench_journey.py`` (``make bench`` runs it too).

Simulated class devices, each a browser-like client with its own cookies, walk the real flow
(class code once per device, then for each pupil: start, privacy, every question page's GET and
POST with routing, check your answers, Send, thanks, next pupil), all devices at once. The same
journey runs on ``peer_journey.py`` (plain Flask + Jinja, signed cookie, one transaction) with
the same client, workers and database server. Both servers run at once and take turns, round by
round, so that this machine's changing load (it has neighbours) falls on both alike.

Reported for each: submissions/s (best of ``--repeats`` journeys), requests/s, p50/p99 per page
kind and server CPU per request; the same with each pupil pausing about ``--think`` seconds
before each click (still several times faster than a pupil reading a question), where latency
rather than saturation shows; from single-client rounds, the server CPU of one question page
GET and of one POST answering it; and stored == acknowledged.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_submit import serve  # noqa: E402
from config import TestingConfig  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import AccessCode, CodeKind  # noqa: E402
from survey_app.services.access_codes import display  # noqa: E402
from survey_app.services.demo import load_demo  # noqa: E402
from tests.servers import SERVER_SECRET  # noqa: E402
from tests.support import AWARE_PUPIL, create_pg_database, drop_pg_database  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_uuid" type="hidden" value="([^"]+)"')


def server_cpu_seconds(master: int) -> float:
    """CPU time of gunicorn's master and workers so far, to the nanosecond: the scheduler's own
    count (``schedstat``), where clock ticks would be too coarse for a page of a millisecond."""
    pids = [master]
    for task in Path(f"/proc/{master}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
            total += sum(int((task / "schedstat").read_text().split()[0]) for task in tasks)
        except FileNotFoundError:
            continue
    return total / 1e9


class Device:
    """One shared class device: a cookie jar that keeps its class session between pupils."""

    def __init__(
        self, base: str, code: str, timings: dict[str, list[float]], lock: threading.Lock, think: float = 0.0
    ):
        self.base, self.code, self.timings, self.lock, self.think = base, code, timings, lock, think
        self.http = requests.Session()
        self.requests = 0

    def _call(self, kind: str, method: str, path: str, data: dict | None = None) -> requests.Response:
        if self.think:  # reading the page before the next click, varied so devices never march in step
            time.sleep(random.uniform(0.5, 1.5) * self.think)  # noqa: S311 (timing, not security)
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, data=data, allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.timings[kind].append(elapsed)
        self.requests += 1
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code}")
        return response

    def _get(self, kind: str, path: str) -> str:
        return self._call(kind, "GET", path).text

    def _post(self, kind: str, path: str, page: str, **fields: str) -> str:
        token = TOKEN.search(page).group(1)
        return self._call(kind, "POST", path, {"csrf_token": token, **fields}).headers["Location"]

    def open_class(self) -> None:
        self._post("code", "/code", self._get("start", "/"), code=self.code)

    def pupil(self) -> bool:
        """One pupil from the start screen to the next pupil; True when Send was acknowledged."""
        start = self._get("start", "/")
        location = self._post("next", "/next", start)
        location = self._post("privacy POST", "/privacy", self._get("privacy GET", location))
        while location.startswith("/q/"):
            page = self._get("question GET", location)
            key = location.removeprefix("/q/").split("?")[0]
            location = self._post("question POST", location, page, answer=AWARE_PUPIL.get(key, ""))
        review = self._get("review", location)
        submission = SUBMISSION.search(review)
        fields = {"submission_uuid": submission.group(1)} if submission else {}
        acknowledged = self._post("send", "/send", review, **fields) == "/thanks"
        self._post("finish", "/finish", self._get("thanks", "/thanks"))
        return acknowledged


def walk(base: str, codes: list[str], pupils_each: int, think: float = 0.0) -> dict:
    """Every device walks ``pupils_each`` pupils at once, waiting about ``think`` seconds before
    each click; returns the run's figures."""
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    devices = [Device(base, code, timings, lock, think) for code in codes]
    for device in devices:
        device.open_class()
        device.requests = 0
    timings.clear()

    def run(device: Device) -> int:
        return sum(device.pupil() for _ in range(pupils_each))

    began = time.perf_counter()
    with ThreadPoolExecutor(len(devices)) as pool:
        acknowledged = sum(pool.map(run, devices))
    wall = time.perf_counter() - began
    return {
        "wall": wall,
        "acknowledged": acknowledged,
        "timings": timings,
        "requests": sum(d.requests for d in devices),
    }


PAGE_ROUNDS = 7


class Server:
    """One gunicorn serving ``module``, with a class device parked on a question page."""

    def __init__(self, name: str, module: str, env: dict, table: str, workers: int):
        self.name, self.table = name, table
        self.process, self.base = serve(module, env, workers)
        self.page_cpu: dict[str, list[float]] = defaultdict(list)
        self.runs: list[dict] = []
        self.paced: dict | None = None

    def park(self, code: str, warm: int) -> None:
        """A device on the second question, every worker warmed (templates compiled)."""
        device = Device(self.base, code, defaultdict(list), threading.Lock())
        device.open_class()
        start = device._get("start", "/")
        location = device._post(
            "privacy POST", "/privacy", device._get("privacy GET", device._post("next", "/next", start))
        )
        self.location = device._post(
            "question POST", location, device._get("question GET", location), answer="year_9"
        )
        self.device = device
        self.page = device._get("question GET", self.location)  # its CSRF token serves every POST
        for _ in range(warm):
            self._ask_get()
            self._ask_post()

    def _ask_get(self) -> None:
        self.device._get("question GET", self.location)

    def _ask_post(self) -> None:
        self.device._post("question POST", self.location, self.page, answer="girl")

    def page_round(self, count: int) -> None:
        """Server CPU ms of one question page GET, then of one POST answering it, ``count`` each."""
        for kind, ask in (("question GET", self._ask_get), ("question POST", self._ask_post)):
            before = server_cpu_seconds(self.process.pid)
            for _ in range(count):
                ask()
            self.page_cpu[kind].append((server_cpu_seconds(self.process.pid) - before) / count * 1000)

    def journey(self, codes: list[str], pupils: int) -> None:
        before = server_cpu_seconds(self.process.pid)
        run = walk(self.base, codes, pupils)
        run["cpu"] = server_cpu_seconds(self.process.pid) - before
        self.runs.append(run)

    def paced_journey(self, codes: list[str], think: float) -> None:
        self.paced = walk(self.base, codes, 1, think) | {"think": think}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def print_latencies(timings: dict[str, list[float]]) -> None:
    print(f"  {'page':<15}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in sorted(timings.items()):
        cuts = statistics.quantiles(values, n=100)
        print(f"  {kind:<15}{len(values):>7}{cuts[49] * 1000:>9.1f}{cuts[98] * 1000:>9.1f}")


def report(server: Server, expected: int, app) -> float:
    """Prints a server's figures; returns its best rate (submissions/s) over its runs."""
    rates = [run["acknowledged"] / run["wall"] for run in server.runs]
    run = server.runs[rates.index(max(rates))]
    print(
        f"\n{server.name}: {max(rates):.1f} submissions/s (runs: {', '.join(f'{r:.1f}' for r in rates)}), "
        f"{run['requests'] / run['wall']:.0f} requests/s, acknowledged {run['acknowledged']}/{expected}, "
        f"server CPU {run['cpu'] / run['requests'] * 1000:.2f} ms/request"
    )
    print_latencies(run["timings"])
    for kind, rounds in server.page_cpu.items():
        median = statistics.median(rounds)
        print(f"  {kind} alone: {median:.2f} ms server CPU (median of {len(rounds)} rounds)")
    paced = server.paced
    print(
        f"  paced ({len(paced['timings']['send'])} pupils at once, about {paced['think']:.1f} s before "
        f"each click): {paced['requests'] / paced['wall']:.0f} requests/s"
    )
    print_latencies(paced["timings"])
    with app.app_context():
        stored = db.session.scalar(sa.text(f"SELECT count(*) FROM {server.table}"))  # noqa: S608 (our constant)
    acknowledged = sum(r["acknowledged"] for r in [*server.runs, paced])
    print(f"  stored {stored} for {acknowledged} acknowledged; equal: {stored == acknowledged}")
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100, help="pupils answering at once")
    parser.add_argument("--pupils", type=int, default=3, help="pupils per device, one after another")
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    parser.add_argument("--page-samples", type=int, default=100, help="GETs and POSTs per round")
    parser.add_argument("--repeats", type=int, default=2, help="journeys per server, taking turns")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds a paced pupil reads before each click"
    )
    args = parser.parse_args()
    expected = args.devices * args.pupils

    url = create_pg_database()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SERVER_SECRET)
    try:
        with app.app_context():
            db.create_all()
            load_demo(responses=0)
            db.session.commit()
            codes = [
                display(c.code)
                for c in db.session.scalars(
                    sa.select(AccessCode).where(AccessCode.kind == CodeKind.CLASS).order_by(AccessCode.id)
                )
            ]
        devices = [codes[i % len(codes)] for i in range(args.devices)]
        print(
            f"{args.devices} devices at once, {args.pupils} pupils each ({expected} journeys), "
            f"{args.workers} gunicorn workers, PostgreSQL on 127.0.0.1, {os.cpu_count()} cores"
        )
        with app.app_context():
            db.session.execute(
                sa.text("CREATE TABLE peer_response (id uuid PRIMARY KEY, body text NOT NULL)")
            )
            db.session.execute(
                sa.text(
                    "CREATE TABLE peer_answer (response_id uuid NOT NULL REFERENCES peer_response(id),"
                    " question_key text NOT NULL, value text NOT NULL,"
                    " PRIMARY KEY (response_id, question_key))"
                )
            )
            db.session.commit()
        env = {"DATABASE_URL": url, "SECRET_KEY": SERVER_SECRET, "SURVEY_CONFIG": "development"}
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        peer_env = {"PEER_DSN": dsn, "SECRET_KEY": SERVER_SECRET}
        # Both serve at once and take turns, so that this machine's changing load falls on both.
        servers = [
            Server("ours", "wsgi:app", env, "response", args.workers),
            Server("bare peer", "benchmarks.peer_journey:app", peer_env, "peer_response", args.workers),
        ]
        try:
            for server in servers:
                server.park(codes[0], args.page_samples)
            for _ in range(PAGE_ROUNDS):
                for server in servers:
                    server.page_round(args.page_samples)
            for _ in range(args.repeats):
                for server in servers:
                    server.journey(devices, args.pupils)
            for server in servers:
                server.paced_journey(devices, args.think)
        finally:
            for server in servers:
                server.stop()
        ours, peer = (report(server, expected, app) for server in servers)
        print(f"\nratio ours/peer (best submissions/s): {ours / peer:.2f} (goal: at least 0.6)")
        page = [statistics.median(server.page_cpu["question GET"]) for server in servers]
        print(
            f"question page GET: ours {page[0]:.2f} ms, peer {page[1]:.2f} ms server CPU "
            f"(ratio {page[0] / page[1]:.2f}; goal for ours: at most 2 ms)"
        )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_database(url)


if __name__ == "__main__":
    main()
