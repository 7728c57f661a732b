"""Deny by default: every route declared, checked as anonymous, analyst and admin (P-17, P-22)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey_app.access import PUBLIC, policy_for
from survey_app.extensions import db
from survey_app.models import AccessCode, QuestionnaireVersion, Wave

IDS = re.compile(r"<(?:int:)?(\w+)>|<any\([^)]*\):(\w+)>")


def _urls(app, world) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url, methods) for every rule, with real ids from the world filled in."""
    with app.app_context():
        values = {
            "wave_id": world.pupil_wave_id,
            "school_id": world.school_id,
            "version_id": db.session.scalar(sa.select(QuestionnaireVersion.id)),
            "code_id": db.session.scalar(sa.select(AccessCode.id)),
            "key": "year_group",
            "slug": world.public_slug,
            "move": "close",
            "filename": "css/app.css",
            "release_id": 1,
            "fmt": "csv",
        }
    urls = []
    for rule in app.url_map.iter_rules():
        url = IDS.sub(lambda m: str(values[m.group(1) or m.group(2)]), rule.rule)
        url = url.replace("<path:filename>", values["filename"])
        urls.append((rule.endpoint, url, set(rule.methods) - {"HEAD", "OPTIONS"}))
    return urls


def _snapshot(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables
            if t.name != "audit_event"
        }


def test_every_route_declares_who_may_use_it(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules() if policy_for(r.endpoint) is None]
    assert undeclared == []


def test_anonymous_visitors_are_sent_to_sign_in_for_every_staff_route(app, world):
    client = app.test_client()
    staff_routes = [(e, u, m) for e, u, m in _urls(app, world) if policy_for(e) != PUBLIC]
    assert len(staff_routes) >= 15
    for endpoint, url, methods in staff_routes:
        if "GET" in methods:
            response = client.get(url)
            assert response.status_code == 302, endpoint
            assert "/staff/login" in response.headers["Location"], endpoint
        if "POST" in methods:
            assert client.post(url).status_code in (302, 400), endpoint


def test_analysts_are_refused_every_admin_route(app, world, staff):
    client = staff("analyst")
    for endpoint, url, methods in _urls(app, world):
        if endpoint.startswith("admin.") and "GET" in methods:
            assert client.get(url).status_code == 403, endpoint


def test_admins_reach_every_admin_page_and_get_changes_nothing(app, world, staff):
    client = staff("admin")
    before = _snapshot(app)
    for endpoint, url, methods in _urls(app, world):
        if endpoint.startswith("admin.") and "GET" in methods:
            assert client.get(url).status_code == 200, endpoint
    assert _snapshot(app) == before  # only the audit log grows (exports are recorded)


def test_every_staff_post_refuses_a_missing_csrf_token(app, world, staff):
    client = staff("admin")
    before = _snapshot(app)
    posts = [(e, u) for e, u, m in _urls(app, world) if "POST" in m and e.startswith("admin.")]
    assert len(posts) >= 8
    for endpoint, url in posts:
        response = client.post(url, data={"labels": "8X", "count": "3", "school_id": world.school_id})
        assert response.status_code == 400, endpoint
    assert _snapshot(app) == before
    with app.app_context():
        assert db.session.get(Wave, world.pupil_wave_id).state.value == "open"
