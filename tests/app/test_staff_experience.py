"""What a new admin or analyst meets on the staff pages, item by item (issue 7)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, QuestionnaireVersion, School, Wave, WaveSchool
from survey_app.models.types import utcnow
from survey_app.services import access_codes, audit
from survey_app.services.waves import create_wave
from tests.support import Walker, csrf_token


def _post(client, page: str, url: str, data: dict | None = None, file: bytes | None = None):
    body = {"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **(data or {})}
    if file is not None:
        body["file"] = (io.BytesIO(file), "upload.csv")
    return client.post(url, data=body, content_type="multipart/form-data")


def _draft_wave(app, name: str = "Draft wave", days_until_open: int = 0) -> int:
    with app.app_context():
        version = db.session.scalar(sa.select(Wave).where(Wave.name == "Pupil wave")).version
        start = utcnow() + timedelta(days=days_until_open)
        wave = create_wave(name, version, start, start + timedelta(days=30))
        db.session.commit()
        return wave.id


def _staff_layout(html: str) -> bool:
    return "Sign out" in html and 'aria-label="Staff"' in html


def test_an_analyst_lands_on_results_and_a_refusal_keeps_the_navigation(app, world, staff):
    client = staff("analyst")
    refused = client.get("/admin/")
    assert refused.status_code == 403 and _staff_layout(refused.get_data(as_text=True))
    assert "Go to your home page" in refused.get_data(as_text=True)
    missing = client.get("/analysis/waves/999999")
    assert missing.status_code == 404 and _staff_layout(missing.get_data(as_text=True))


def test_a_wave_closing_before_it_opens_is_refused_at_the_field(app, world, staff):
    client = staff("admin")
    with app.app_context():
        version_id = db.session.get(Wave, world.pupil_wave_id).version_id
    response = _post(
        client,
        "/admin/waves/new",
        "/admin/waves/new",
        {"name": "Backwards", "version_id": version_id, "opens_on": "2027-02-01", "closes_on": "2027-01-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _staff_layout(html)
    assert 'id="closes_on-error"' in html and "closing date must be after the opening date" in html
    assert 'href="#closes_on"' in html  # the error summary links to the field
    assert 'value="Backwards"' in html  # nothing typed is lost
    blank = _post(client, "/admin/waves/new", "/admin/waves/new", {"version_id": version_id})
    text = blank.get_data(as_text=True)
    assert "Give the wave a name." in text and "This field is required" not in text
    taken = _post(
        client,
        "/admin/waves/new",
        "/admin/waves/new",
        {"name": "Pupil wave", "version_id": version_id, "opens_on": "2027-01-01", "closes_on": "2027-02-01"},
    )
    assert taken.status_code == 400 and "already a wave called" in taken.get_data(as_text=True)


def test_opening_shows_a_readiness_check_and_refuses_an_unready_wave(app, world, staff):
    client = staff("admin")
    wave_id = _draft_wave(app)
    page = f"/admin/waves/{wave_id}"
    assert f'action="{page}/open"' not in client.get(page).get_data(as_text=True)  # no one-click open
    check = client.get(f"{page}/open").get_data(as_text=True)
    assert "Readiness check" in check and "No schools yet" in check
    assert "Yes, open the wave" not in check
    refused = _post(client, f"{page}/open", f"{page}/open")
    assert refused.status_code == 409 and "not ready to open" in refused.get_data(as_text=True)
    with app.app_context():
        wave, school = db.session.get(Wave, wave_id), db.session.get(School, world.school_id)
        db.session.add(WaveSchool(wave=wave, school=school, expected_pupils=30))
        access_codes.make_class_codes(wave, school, ["7A"])
        db.session.commit()
    ready = client.get(f"{page}/open").get_data(as_text=True)
    assert "Yes, open the wave" in ready and "Population margins" in ready
    assert _post(client, f"{page}/open", f"{page}/open").status_code == 303
    closing = client.get(f"{page}/close").get_data(as_text=True)
    assert "Yes, close the wave" in closing
    assert _post(client, f"{page}/close", f"{page}/close").status_code == 303
    assert "Yes, re-open the wave" in client.get(f"{page}/open").get_data(as_text=True)


def test_an_upload_without_a_file_is_summarised_at_the_top(app, world, staff):
    client = staff("admin")
    page = f"/admin/waves/{world.pupil_wave_id}"
    response = _post(client, page, f"{page}/margins", {"source_note": "ONS"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.index('class="error-summary"')
    assert summary < html.index("<h1>")
    assert 'href="#margins-file"' in html and 'id="margins-file-error"' in html
    assert "Choose a CSV file to upload." in html


def test_a_draft_wave_says_it_has_not_been_opened(app, world, staff):
    wave_id = _draft_wave(app)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        school = db.session.get(School, world.school_id)
        db.session.add(WaveSchool(wave=wave, school=school, expected_pupils=30))
        code = access_codes.make_class_codes(wave, school, ["7A"])[0].code
        db.session.commit()
    html = Walker(app.test_client()).enter_code(code).get_data(as_text=True)
    assert "has not been opened yet" in html and "It opens on" not in html


def test_the_audit_log_is_readable_filterable_and_paginated(app, world, staff):
    client = staff("admin")
    with app.app_context():
        from survey_app.models import StaffUser

        admin = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "admin@example.org"))
        for number in range(60):
            audit.record(admin, "export_codes", "wave", number, note="<b>bold</b>")
        audit.record(None, "login_failed", "staff_user", None, email="who@example.org")
        db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "admin@example.org" in html and "\\u003c" not in html and "&lt;b&gt;bold" in html
    assert "page 1 of" in html and 'rel="next"' in html
    assert "Someone not signed in" in html
    failed = client.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "who@example.org" in failed and "export codes" not in failed.split("<tbody>")[1]
    second = client.get("/admin/audit?action=export_codes&page=2").get_data(as_text=True)
    rows = second.split("<tbody>")[1].count("<tr>")
    assert rows == 10  # 60 events, 50 a page
    future = (utcnow() + timedelta(days=2)).date().isoformat()
    later = client.get(f"/admin/audit?since={future}").get_data(as_text=True)
    assert "No events match" in later
    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 400 and "Give a date like" in bad.get_data(as_text=True)
    by_person = client.get("/admin/audit?person=analyst@example.org").get_data(as_text=True)
    assert "export codes" not in by_person.split("<tbody>")[1]


def test_the_monitor_never_refreshes_itself(app, world, staff):
    html = staff("admin").get(f"/admin/waves/{world.pupil_wave_id}/monitor").get_data(as_text=True)
    assert "http-equiv" not in html and "Refresh now" in html and "data-auto-update" in html


@pytest.mark.parametrize(
    "labels, message",
    [
        ("9A\n" + "x" * 61, "up to 60 characters"),
        ("9A\n9B\n9A", "9A is listed twice"),
        ("\n".join(f"C{i}" for i in range(61)), "at most 60 class labels"),
        ("8X", "already has a code for 8X"),
    ],
)
def test_class_labels_are_never_cut_or_doubled_silently(app, world, staff, labels, message):
    client = staff("admin")
    page = f"/admin/waves/{world.pupil_wave_id}"
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode))
    response = _post(client, page, f"{page}/codes/class", {"school_id": world.school_id, "labels": labels})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'id="labels-error"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode)) == before


def test_a_frozen_version_is_shown_read_only_with_the_way_forward(app, world, staff):
    client = staff("admin")
    with app.app_context():
        used = db.session.get(Wave, world.pupil_wave_id).version_id
    html = client.get(f"/admin/versions/{used}/questions/felt_safety").get_data(as_text=True)
    assert "frozen" in html and "Make a new version from this one" in html
    assert "<textarea" not in html and ">Save<" not in html


def test_every_question_of_every_built_in_version_previews(app, world, staff):
    client = staff("admin")
    with app.app_context():
        versions = [
            (v.id, [q.key for q in v.questions], v.languages)
            for v in db.session.scalars(sa.select(QuestionnaireVersion))
        ]
    assert versions
    for version_id, keys, languages in versions:
        for language in languages:
            for key in keys:
                response = client.get(f"/admin/versions/{version_id}/preview/{key}?lang={language}")
                assert response.status_code == 200, (version_id, key, language)
                assert "Question" in response.get_data(as_text=True)


def test_favicon_code_sheets_and_the_questionnaire_drop_down(app, world, staff):
    client = staff("admin")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        outside = School(
            urn="100999", name="Not Taking Part", borough=db.session.get(School, world.school_id).borough
        )
        db.session.add(outside)
        db.session.commit()
        outside_id = outside.id
    sheet = client.get(f"/admin/waves/{world.pupil_wave_id}/schools/{outside_id}/sheet")
    assert sheet.status_code == 404
    form = client.get("/admin/waves/new").get_data(as_text=True)
    assert re.search(r'<select[^>]*class="input select"', form)


def test_a_missing_column_message_says_what_the_file_has(app, world, staff):
    client = staff("admin")
    response = _post(client, "/admin/schools", "/admin/schools", file=b"URN;Name;Borough\n1;a;b\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Its first row has: urn;name;borough" in html
