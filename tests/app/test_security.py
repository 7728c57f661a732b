"""Respondent routes: headers, CSRF, GET safety, rate limits, body limits, token expiry
(SECURITY P-04 to P-14). Staff routes are walked in test_access.py."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, Response, Wave
from tests.support import AWARE_PUPIL, Walker, csrf_token


def _snapshot(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


def _respondent_urls(app, world) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("respond.") or "GET" not in rule.methods:
            continue
        urls.append(rule.rule.replace("<slug>", world.public_slug).replace("<key>", "year_group"))
    return urls


def test_every_page_sends_security_and_no_store_headers(app, client, world):
    walker = Walker(client)
    walker.start_pupil(world.class_code)
    for url in _respondent_urls(app, world):
        response = client.get(url)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], url
        assert "unsafe-inline" not in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "same-origin", url
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000"), url
        assert headers["Cache-Control"] == "no-store", url


def test_over_https_a_post_with_the_referer_browsers_send_is_accepted(app, world):
    # Under "no-referrer" browsers send no Referer, and Flask-WTF's strict HTTPS check then
    # refused every form ("This page has expired"). "same-origin" lets them send this one.
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    page = client.get("/", **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    body = {"csrf_token": csrf_token(page.get_data(as_text=True)), "code": world.class_code}
    refused = client.post("/code", data=body, **https)
    assert refused.status_code == 400  # what every POST met before: no Referer at all
    accepted = client.post("/code", data=body, headers={"Referer": "https://localhost/"}, **https)
    assert accepted.status_code == 303


def test_every_post_route_refuses_a_missing_csrf_token_and_changes_nothing(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    before = _snapshot(app)
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint.startswith("respond.")]
    assert len(posts) >= 9
    for rule in posts:
        url = rule.rule.replace("<slug>", world.public_slug).replace("<key>", "year_group")
        response = client.post(
            url,
            data={"answer": "year_7", "code": world.class_code, "submission_uuid": walker.submission_uuid()},
        )
        assert response.status_code == 400, url
        assert "This page has expired" in response.get_data(as_text=True), url
    assert _snapshot(app) == before


def test_no_get_route_changes_the_database(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    before = _snapshot(app)
    for url in _respondent_urls(app, world):
        assert client.get(url).status_code < 500, url
    assert _snapshot(app) == before


def test_wrong_codes_from_one_session_are_limited_with_retry_after(client, world):
    walker = Walker(client)
    token = walker.token()
    statuses = [
        client.post("/code", data={"csrf_token": token, "code": "WRONG-CODE2"}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    limited = client.post("/code", data={"csrf_token": token, "code": "WRONG-CODE2"})
    assert int(limited.headers["Retry-After"]) > 0
    assert "Please wait a moment" in limited.get_data(as_text=True)


def test_wrong_codes_from_one_address_are_limited_across_sessions(app, world):
    statuses = []
    for _ in range(101):
        client = app.test_client()
        statuses.append(Walker(client).enter_code("WRONG-CODE2").status_code)
    assert statuses[:100] == [400] * 100 and statuses[100] == 429


def test_a_whole_school_behind_one_address_is_never_limited(app, world):
    """1,500 pupils' devices entering the right class code from one school IP (P-14 b)."""
    statuses = set()
    for _ in range(1500):
        statuses.add(Walker(app.test_client()).enter_code(world.class_code).status_code)
    assert statuses == {303}


def test_open_link_submissions_are_limited_per_address_but_schools_are_not(app, world):
    answers = {
        "age_band": "16_24",
        "borough": "E09000012",
        "parent_of_pupil": "no",
        "heard_of_sso": "no",
        "support_sso": "neither",
        "police_good_job": "fair",
    }
    statuses = []
    for _ in range(7):
        walker = Walker(app.test_client())
        first = walker.post(f"/public/{world.public_slug}") and walker.post("/privacy")
        walker.answer_all(first.headers["Location"], answers)
        statuses.append(walker.send().status_code)
    assert statuses[:6] == [303] * 6 and statuses[6] == 429
    pupil = Walker(app.test_client())
    pupil.answer_all(pupil.start_pupil(world.class_code), AWARE_PUPIL)
    assert pupil.send().status_code == 303


def test_oversized_body_gets_a_clear_message(client, world):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    response = walker.post(first, {"answer": "x" * 70_000})
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)


def test_an_interrupted_respondent_keeps_their_page_past_an_hour(app, client, world, monkeypatch):
    """P-05: a token issued 61 minutes ago is still accepted on a person's own device."""
    walker = Walker(client)
    walker.enter_code(world.invitation_codes[0])
    first = walker.post("/privacy").headers["Location"]
    token = walker.token(first)
    later = time.time() + 61 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(first, data={"csrf_token": token, "answer": "25_34"})
    assert response.status_code == 303


def test_kiosk_draft_is_cleared_after_the_idle_limit(app, client, world, monkeypatch):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    token = walker.token(first)
    later = time.time() + app.config["KIOSK_IDLE_SECONDS"] + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(first, data={"csrf_token": token, "answer": "year_7"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("state", ["closed", "not_yet_open"])
def test_a_wave_that_is_not_open_says_so(app, client, world, state):
    with app.app_context():
        wave = db.session.get(Wave, world.pupil_wave_id)
        if state == "closed":
            wave.close()
        else:
            wave.opens_at = wave.closes_at - (wave.closes_at - wave.opens_at) / 10
        db.session.commit()
    response = Walker(client).enter_code(world.class_code)
    assert response.status_code == 400
    expected = "has now closed" if state == "closed" else "has not started yet"
    assert expected in response.get_data(as_text=True)


def test_a_wave_closing_mid_survey_is_explained_and_nothing_is_stored(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    with app.app_context():
        db.session.get(Wave, world.pupil_wave_id).close()
        db.session.commit()
    response = walker.send()
    assert response.status_code == 409
    assert "has now closed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
        code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.class_code))
        assert code.uses == 0


def test_unknown_pages_and_methods_get_friendly_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    assert client.put("/send").status_code == 405


def test_still_here_keeps_a_kiosk_draft_alive_past_the_idle_limit(app, client, world, monkeypatch):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    token = walker.token(first)
    limit, start = app.config["KIOSK_IDLE_SECONDS"], time.time()
    monkeypatch.setattr(time, "time", lambda: start + limit - 60)
    assert client.post("/still-here", data={"csrf_token": token}).status_code == 204
    monkeypatch.setattr(time, "time", lambda: start + limit + 120)  # idle limit passed since start
    response = client.post(first, data={"csrf_token": token, "answer": "year_7"})
    assert response.status_code == 303 and response.headers["Location"] != "/"
    assert client.post("/still-here", data={}).status_code == 400  # CSRF still applies
