"""As production runs (issue 10): PostgreSQL, Redis, three gunicorn workers with
SURVEY_CONFIG=production, behind Debian's nginx running deploy/'s site file over HTTPS.

The browser walks the pupil journey, the public journey and staff sign-in over HTTPS; the
rate limits hold across workers; stalled uploads wait at nginx, not in an app worker; and
with the database cut away the app answers a quick 503 and recovers, with nothing lost or
doubled. Runs on PostgreSQL whatever the suite's backend.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import redis
import requests
import sqlalchemy as sa

from config import TestingConfig
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Response, StaffUser
from survey_app.services.responses import stored_answers as stored_answers_of
from tests.browser.helpers import answer_questions
from tests.production import TcpRelay, production_stack
from tests.servers import HttpClient
from tests.support import (
    AWARE_PUPIL,
    STAFF_PASSWORD,
    Walker,
    build_world,
    create_pg_database,
    csrf_token,
    drop_pg_database,
    make_staff,
    populate_pupil_wave,
    postgres_available,
    require,
)

pytestmark = pytest.mark.server

ADMIN_TOTP = pyotp.random_base32()
PUBLIC = {
    "age_band": "45_54",
    "borough": "E09000022",
    "parent_of_pupil": "yes",
    "heard_of_sso": "yes",
    "support_sso": "tend_to_support",
    "police_good_job": "good",
}


@pytest.fixture(scope="module")
def pg_app():
    require(postgres_available(), "PostgreSQL (TEST_PG_ADMIN_URL)")
    url = create_pg_database()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        world = build_world()
        make_staff("admin@example.org", "admin")
        db.session.scalar(sa.select(StaffUser)).totp_secret = ADMIN_TOTP  # production needs MFA
        db.session.commit()
        db.session.remove()
    app.world = world
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_pg_database(url)


@pytest.fixture(scope="module")
def relay(pg_app):
    target = urlsplit(pg_app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""))
    relay = TcpRelay(target.port or 5432)
    relay.start()
    yield relay
    relay.cut()


@pytest.fixture(scope="module")
def stack(pg_app, relay, tmp_path_factory):
    url = pg_app.config["SQLALCHEMY_DATABASE_URI"]
    through_relay = url.replace(f":{urlsplit(url).port}/", f":{relay.port}/")
    with production_stack(through_relay, tmp_path_factory.mktemp("nginx")) as running:
        yield running


@pytest.fixture
def page(browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _https_client(stack) -> HttpClient:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides ``verify``
    session.verify = str(stack.certificate)
    session.headers["Referer"] = stack.https + "/"  # as a browser sends it (same-origin policy)
    return HttpClient(stack.https, session)


def test_the_pupil_journey_works_over_https_through_nginx(pg_app, stack, page):
    before = _count(pg_app, Response)
    page.goto(f"{stack.https}/")
    page.fill("#code", pg_app.world.class_code)
    page.click("button:text('Continue')")
    page.click("button:text('Start the survey')")
    answer_questions(page, AWARE_PUPIL)
    page.click("button:text('Send my answers')")
    page.wait_for_url(f"{stack.https}/thanks")
    assert _count(pg_app, Response) == before + 1
    cookies = page.context.cookies()
    assert cookies and all(c["secure"] and c["httpOnly"] for c in cookies)
    assert any(c["name"].startswith("__Host-") for c in cookies)


def test_the_public_journey_works_over_https_through_nginx(pg_app, stack, page):
    before = _count(pg_app, Response)
    page.goto(f"{stack.https}/public/{pg_app.world.public_slug}")
    page.click("button[type=submit]")
    answer_questions(page, PUBLIC)
    page.click("button:text('Send my answers')")
    page.wait_for_url(f"{stack.https}/thanks")
    assert _count(pg_app, Response) == before + 1


def test_staff_sign_in_works_over_https_through_nginx(pg_app, stack, page):
    page.goto(f"{stack.https}/staff/login")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.https}/staff/code")
    page.fill("#code", pyotp.TOTP(ADMIN_TOTP).now())
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.https}/admin/")
    assert "This page has expired" not in page.content()


def test_nginx_serves_static_files_and_the_app_sends_its_security_headers(stack):
    static = requests.get(f"{stack.https}/static/css/app.css", verify=str(stack.certificate), timeout=10)
    assert static.status_code == 200 and "public" in static.headers["Cache-Control"]
    page = requests.get(f"{stack.https}/", verify=str(stack.certificate), timeout=10)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Server" not in page.headers or "nginx/" not in page.headers["Server"]


def test_open_link_limit_holds_across_workers(pg_app, stack):
    redis.Redis.from_url(stack.redis).flushdb()  # earlier journeys here used some of the limit
    statuses = []
    for _ in range(12):
        walker = Walker(_https_client(stack))
        walker.post(f"/public/{pg_app.world.public_slug}")
        walker.answer_all(walker.post("/privacy").headers["Location"], PUBLIC)
        statuses.append(walker.send().status_code)
    assert statuses.count(303) == 6 and statuses.count(429) == 6, statuses


def test_wrong_code_limit_holds_across_workers(stack):
    redis.Redis.from_url(stack.redis).flushdb()
    walker = Walker(_https_client(stack))
    statuses = [walker.enter_code(f"WRONG-{i}").status_code for i in range(12)]
    assert statuses == [400] * 10 + [429, 429]


def test_login_failure_limit_holds_across_workers(stack):
    redis.Redis.from_url(stack.redis).flushdb()
    statuses = []
    for attempt in range(7):
        client = _https_client(stack)
        token = csrf_token(client.get("/staff/login").get_data())
        statuses.append(
            client.post(
                "/staff/login",
                {"csrf_token": token, "password": f"no {attempt}", "email": "admin@example.org"},
            ).status_code
        )
    assert statuses == [401] * 5 + [429, 429]


def test_the_access_log_keeps_no_query_string_browser_or_referrer(stack):
    """P-09: a code typed into an address never reaches a log; addresses are kept (by nginx
    alone, for abuse control) with the path and status."""
    client = _https_client(stack)
    client.session.headers["User-Agent"] = "Distinctive-Browser/1.0"
    assert client.get("/?code=QWERTY2345").status_code == 200
    logged = stack.access_log.read_text()
    assert "127.0.0.1 [" in logged and '"GET /" 200' in logged
    for secret in ("QWERTY2345", "Distinctive-Browser", stack.https):
        assert secret not in logged


def _slow_clients(base: str, count: int) -> list[socket.socket]:
    """Clients that start sending a form and then stall, as phones on a poor connection do."""
    address = urlsplit(base)
    clients = []
    for _ in range(count):
        client = socket.create_connection((address.hostname, address.port), timeout=5)
        if address.scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            client = context.wrap_socket(client, server_hostname=address.hostname)
        client.sendall(
            b"POST /code HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncode="
        )
        clients.append(client)
    return clients


def _wait_for_app(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the app workers did not come back")


def test_slow_clients_wait_at_nginx_and_never_hold_an_app_worker(stack):
    """Three sync workers; eight stalled uploads. Through nginx a page still answers at once;
    straight at gunicorn the same clients hold every worker, which is why nginx is there."""
    stalled = _slow_clients(stack.https, 8)
    try:
        started = time.monotonic()
        assert _https_client(stack).get("/healthz").status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for client in stalled:
            client.close()
    stalled = _slow_clients(stack.app, 8)
    try:
        with pytest.raises(requests.Timeout):
            requests.get(stack.app + "/healthz", timeout=2)
    finally:
        for client in stalled:
            client.close()
    _wait_for_app(stack.app)


def test_a_database_outage_gives_quick_503s_and_the_app_recovers(pg_app, stack, relay):
    """Last in this module: it cuts the database away and restores it."""
    client = _https_client(stack)
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(pg_app.world.other_class_code), AWARE_PUPIL)
    submission = walker.submission_uuid()
    body = {"csrf_token": walker.token("/send"), "submission_uuid": submission}
    stored = _count(pg_app, Response)
    relay.cut()
    try:
        started = time.monotonic()
        refused = client.post("/send", body)
        waited = time.monotonic() - started
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
        assert "Content-Security-Policy" in refused.headers
        assert waited < 10, waited
    finally:
        relay.start()
    deadline = time.monotonic() + 30
    while True:  # recovery: the same pupil's draft is still there and sends once
        response = client.post("/send", body)
        if response.status_code == 303 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 303
    assert _count(pg_app, Response) == stored + 1
    with pg_app.app_context():
        sent = stored_answers_of(uuid.UUID(submission))
    assert sent == AWARE_PUPIL


def _signed_in_analyst(pg_app, stack, email: str) -> HttpClient:
    """A new analyst with their own authenticator, signed in over HTTPS."""
    secret = pyotp.random_base32()
    with pg_app.app_context():
        make_staff(email, "analyst")
        db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email)).totp_secret = secret
        db.session.commit()
        db.session.remove()
    store = redis.Redis.from_url(stack.redis)
    for key in store.scan_iter("LIMITS*"):  # earlier tests' failed sign-ins; RQ's keys stay
        store.delete(key)
    client = _https_client(stack)
    token = csrf_token(client.get("/staff/login").get_data())
    client.post("/staff/login", {"csrf_token": token, "email": email, "password": STAFF_PASSWORD})
    token = csrf_token(client.get("/staff/code").get_data())
    assert (
        client.post("/staff/code", {"csrf_token": token, "code": pyotp.TOTP(secret).now()}).status_code == 303
    )
    return client


def _latest_job(pg_app):
    from survey_app.models import Job

    with pg_app.app_context():
        job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
        db.session.expunge_all()
        db.session.remove()
    return job


@pytest.fixture(scope="module")
def weighable(pg_app):
    """The world's pupil wave with 600 responses and margins to weigh them to."""
    from survey_app.models import Wave

    with pg_app.app_context():
        populate_pupil_wave(db.session.get(Wave, pg_app.world.pupil_wave_id), 600, seed=21)
        db.session.remove()
    return pg_app.world.pupil_wave_id


def test_weighing_runs_on_the_rq_worker_and_the_wave_page_shows_its_progress(pg_app, stack, weighable):
    """The web worker only records and queues the job; `flask jobs worker` weighs, builds the
    results snapshot, and the wave page (refreshing itself meanwhile) then shows the results."""
    from rq.registry import FinishedJobRegistry

    from survey_app import jobs
    from survey_app.models import JobState

    client = _signed_in_analyst(pg_app, stack, "jobs-analyst@example.org")
    wave_url = f"/analysis/waves/{pg_app.world.pupil_wave_id}"
    token = csrf_token(client.get(wave_url).get_data())
    assert client.post(wave_url + "/weigh", {"csrf_token": token}).status_code == 303
    deadline = time.monotonic() + 90
    while "Headline indicators" not in (text := client.get(wave_url).get_data()):
        assert time.monotonic() < deadline, "the worker never finished the job"
        assert "Weighing failed" not in text, text
        time.sleep(0.5)
    job = _latest_job(pg_app)
    assert job.state is JobState.DONE and job.result_id is not None
    finished = FinishedJobRegistry(jobs.QUEUE_NAME, connection=redis.Redis.from_url(stack.redis))
    assert jobs.rq_id(job) in finished.get_job_ids()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def test_a_job_whose_worker_is_killed_is_retried_and_finishes(pg_app, stack, weighable):
    """SIGKILL of the process running a weighing (an out-of-memory kill, a deploy): RQ retries
    the job, which finishes, and the page never shows a half-made result."""
    from rq.job import Job as QueuedJob

    from survey_app import jobs
    from survey_app.models import JobState

    client = _signed_in_analyst(pg_app, stack, "killed-job-analyst@example.org")
    wave_url = f"/analysis/waves/{pg_app.world.pupil_wave_id}"
    token = csrf_token(client.get(wave_url).get_data())
    idle = set(_children(stack.worker.pid))  # RQ's scheduler; a job runs in a new fork
    assert client.post(wave_url + "/weigh", {"csrf_token": token}).status_code == 303
    deadline = time.monotonic() + 30
    while not (horses := sorted(set(_children(stack.worker.pid)) - idle)):
        assert time.monotonic() < deadline, "the worker never started the job"
        time.sleep(0.005)
    os.kill(horses[0], signal.SIGKILL)
    deadline = time.monotonic() + 120
    while (job := _latest_job(pg_app)).active:
        assert time.monotonic() < deadline, f"the job never ended: {job.stage}"
        assert client.get(wave_url).status_code == 200
        time.sleep(0.5)
    assert job.state is JobState.DONE, job.message
    assert "Headline indicators" in client.get(wave_url).get_data()
    queued = QueuedJob.fetch(jobs.rq_id(job), connection=redis.Redis.from_url(stack.redis))
    assert queued.retries_left == 1  # the killed attempt was retried once, and that one finished
