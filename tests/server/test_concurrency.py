"""Exactly once under real concurrency: gunicorn workers on the suite's database (SECURITY P-01)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, Response
from tests.servers import HttpClient, gunicorn
from tests.support import AWARE_PUPIL, Walker, stored_answers

PUBLIC = {
    "age_band": "45_54",
    "borough": "E09000022",
    "parent_of_pupil": "yes",
    "heard_of_sso": "yes",
    "support_sso": "tend_to_support",
    "police_good_job": "good",
}


@pytest.fixture(scope="module")
def server(app, database_url):
    with gunicorn(database_url) as base:
        yield base


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _ready_pupil(server: str, class_code: str) -> tuple[requests.Session, dict[str, str]]:
    """A pupil who has answered everything; returns their cookies and the Send form body."""
    client = HttpClient(server)
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(class_code), AWARE_PUPIL)
    body = {"csrf_token": walker.token("/send"), "submission_uuid": walker.submission_uuid()}
    return client.session, body


def _replay(server: str, session: requests.Session, body: dict[str, str], times: int) -> list:
    barrier = threading.Barrier(times)

    def post(_):
        barrier.wait()
        return requests.post(
            f"{server}/send", data=body, cookies=session.cookies, allow_redirects=False, timeout=30
        )

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(post, range(times)))


def test_the_same_submission_from_ten_threads_is_stored_once(app, world, server):
    session, body = _ready_pupil(server, world.class_code)
    results = _replay(server, session, body, 10)
    assert [r.status_code for r in results] == [303] * 10
    assert {r.headers["Location"] for r in results} == {"/thanks"}
    with app.app_context():
        assert stored_answers() == [AWARE_PUPIL]
    with app.app_context():
        code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.class_code))
        assert code.uses == 1  # the class code counted the pupil once


def test_many_pupils_each_replayed_concurrently_give_one_row_each(app, world, server):
    pupils = [_ready_pupil(server, world.class_code) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda p: _replay(server, p[0], p[1], 6), pupils))
    assert all(r.status_code == 303 for replies in outcomes for r in replies)
    assert _count(app, Response) == 8


def test_one_invitation_code_raced_by_four_people_stores_one_response(app, world, server):
    people = []
    for _ in range(4):
        client = HttpClient(server)
        walker = Walker(client)
        assert walker.enter_code(world.invitation_codes[2]).status_code == 303
        walker.answer_all(walker.post("/privacy").headers["Location"], PUBLIC)
        people.append(
            (
                client.session,
                {"csrf_token": walker.token("/send"), "submission_uuid": walker.submission_uuid()},
            )
        )
    barrier = threading.Barrier(4)

    def send(person):
        barrier.wait()
        return requests.post(
            f"{server}/send", data=person[1], cookies=person[0].cookies, allow_redirects=False, timeout=30
        )

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(r.status_code for r in pool.map(send, people))
    assert statuses == [303, 400, 400, 400]
    assert _count(app, Response) == 1
