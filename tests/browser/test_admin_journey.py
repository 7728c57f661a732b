"""A new admin runs a wave end to end in a real browser, and a pupil answers during it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, Wave
from survey_app.services.access_codes import display
from tests.browser.helpers import answer_questions
from tests.support import AWARE_PUPIL, STAFF_PASSWORD, make_staff

SCHOOLS = (
    "urn,name,borough,phase\n100300,Lambeth Vale School,Lambeth,Secondary\n"
    "100301,Newham Bridge Academy,Newham,Secondary\n100302,Camden Rise School,Camden,\n"
)


def test_admin_runs_a_wave_in_the_browser(app, world, server, browser, tmp_path):
    with app.app_context():
        make_staff("runner@example.org", "admin")
    files = {
        "schools.csv": SCHOOLS,
        "expected.csv": "urn,expected_pupils\n100300,850\n100301,1200\n",
        "margins.csv": "variable,category,proportion\ngender,boy,0.5\ngender,girl,0.5\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/admin/")
    assert "/staff/login" in page.url
    page.fill("#email", "runner@example.org")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button:text('Sign in')")
    assert page.url.endswith("/admin/")

    page.click("nav >> text=Schools")
    page.set_input_files("#file", str(tmp_path / "schools.csv"))
    page.click("button:text('Import schools')")
    assert "3 added, 0 updated" in page.content()

    page.click("nav >> text=Waves")
    page.click("text=Create a wave")
    page.fill("#name", "Browser wave")
    page.select_option("#version_id", label="Safer Schools pupil survey – version 1")
    page.fill("#opens_on", "2026-01-01")
    page.fill("#closes_on", "2099-12-31")
    page.click("button:text('Create the wave')")
    assert "Browser wave" in page.inner_text("h1") and "draft" in page.content()

    page.set_input_files("#schools-file", str(tmp_path / "expected.csv"))
    page.click("button:text('Upload schools')")
    assert "2 schools assigned" in page.content()
    page.select_option("#school_id", label="Lambeth Vale School")
    page.fill("#labels", "9A\n9B")
    page.click("button:text('Make class codes')")
    assert "2 class codes made for Lambeth Vale School" in page.content()
    page.set_input_files("#margins-file", str(tmp_path / "margins.csv"))
    page.fill("#source_note", "Illustrative, for the test")
    page.click("button:text('Upload margins')")
    assert "2 population margins saved" in page.content()
    page.click("a:text('Open the wave')")
    assert "Readiness check" in page.content()
    page.click("button:text('Yes, open the wave')")
    assert "is now open" in page.content()

    with app.app_context():
        wave = db.session.scalar(sa.select(Wave).where(Wave.name == "Browser wave"))
        code = db.session.scalars(sa.select(AccessCode).where(AccessCode.wave_id == wave.id)).first()
        wave_id, typed = wave.id, display(code.code)
    page.goto(f"{server}/admin/waves/{wave_id}/schools/{code.school_id}/sheet")
    page.emulate_media(media="print")
    assert page.is_hidden("header") and typed in page.inner_text(".slips")
    page.emulate_media(media="screen")

    pupil = browser.new_context().new_page()
    pupil.goto(f"{server}/")
    pupil.fill("#code", typed)
    pupil.click("button:text('Continue')")
    pupil.click("button:text('Start the survey')")
    answer_questions(pupil, AWARE_PUPIL)
    pupil.click("button:text('Send my answers')")
    assert "Thank you" in pupil.content()

    page.goto(f"{server}/admin/waves/{wave_id}/monitor")
    row = page.locator("tr", has_text="Lambeth Vale School").inner_text()
    assert re.search(r"\b1\s+850\b", row) and "100.0%" in row
    page.goto(f"{server}/admin/waves/{wave_id}")
    page.click("a:text('Close the wave')")
    page.click("button:text('Yes, close the wave')")
    assert "is now closed" in page.content()
    page.click("nav >> text=Audit log")
    for action in ("create_wave", "open_wave", "close_wave", "upload_margins"):
        assert action in page.content()
    context.close()
