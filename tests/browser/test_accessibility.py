"""axe-core on every respondent page at 320px and 1280px, and no sideways scrolling at 320px."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import answer_questions
from tests.support import AWARE_PUPIL

BLOCKING = {"serious", "critical"}
PUBLIC = {
    "age_band": "16_24",
    "sex": "female",
    "ethnicity": "asian_indian",
    "borough": "E09000025",
    "parent_of_pupil": "no",
    "heard_of_sso": "yes",
    "support_sso": "tend_to_oppose",
    "police_good_job": "fair",
}


class Audit:
    """Runs axe on each page it is shown and keeps the blocking problems by page."""

    def _axe(self):
        """axe's results once the page a click led to has loaded: on a busy machine the click
        can return while the browser is still swapping documents (axe then finds none)."""
        for _ in range(2):
            self.page.wait_for_load_state()
            try:
                return self.axe.run(self.page)
            except PlaywrightError:
                self.page.wait_for_timeout(200)
        self.page.wait_for_load_state()
        return self.axe.run(self.page)

    def __init__(self, page, width: int) -> None:
        self.page, self.width, self.axe = page, width, Axe()
        self.problems: dict[str, list[str]] = {}

    def __call__(self, label: str | None = None) -> None:
        results = self._axe()
        found = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in BLOCKING
        ]
        overflow = self.page.evaluate("document.documentElement.scrollWidth") - self.width
        if overflow > 0:
            found.append(f"{overflow}px of sideways scrolling")
        self.problems[label or self.page.url.split("/", 3)[-1]] = found


def _questions(page, audit: Audit, answers: dict[str, str]) -> None:
    """Audits every question page, the error state of the first, then the send page."""
    page.click("button:text('Start the questions')")
    page.click("button:text('Continue')")  # nothing chosen: the error state
    audit(f"{page.url} with an error")
    answer_questions(page, answers, on_each_page=audit, start=False)
    audit()


@pytest.mark.parametrize("width", [320, 1280])
def test_respondent_pages_have_no_serious_accessibility_problems(world, server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    audit = Audit(page, width)
    page.goto(f"{server}/")
    audit("code entry")
    page.fill("#code", "WRONG-CODE2")
    page.click("button:text('Continue')")
    audit("code entry with an error")
    page.fill("#code", world.class_code)
    page.click("button:text('Continue')")
    audit("kiosk start")
    page.click("button:text('Start the survey')")
    audit()
    _questions(page, audit, AWARE_PUPIL)
    page.click("button:text('Send my answers')")
    audit()
    for path in ("/help", "/no-such-page", f"/public/{world.public_slug}"):
        page.goto(server + path)
        audit()
    page.click("button:text('Start now')")
    _questions(page, audit, PUBLIC)
    context.close()
    assert len(audit.problems) >= 25
    assert {label: found for label, found in audit.problems.items() if found} == {}


LONG_NAME = "Autumn" + "x" * 140  # one unbroken word, as a careless paste would give


@pytest.mark.parametrize("width", [320, 1280])
def test_staff_pages_have_no_serious_accessibility_problems(app, world, server, browser, width):
    """Every admin page a new admin meets, their error states, and the sign-in page; and no
    heading touching the header bar (the container once cancelled main's top padding)."""
    import sqlalchemy as sa

    from survey_app.extensions import db
    from survey_app.models import Wave
    from survey_app.models.types import utcnow
    from survey_app.services.waves import create_wave
    from tests.support import STAFF_PASSWORD, make_staff

    with app.app_context():
        make_staff(f"axe{width}@example.org", "admin")
        pupil = db.session.get(Wave, world.pupil_wave_id)
        long_wave = db.session.scalar(sa.select(Wave).where(Wave.name == LONG_NAME)) or create_wave(
            LONG_NAME, pupil.version, utcnow(), utcnow().replace(year=2099)
        )
        db.session.commit()
        long_id, version_id = long_wave.id, pupil.version_id
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    audit = Audit(page, width)
    gaps: dict[str, float] = {}

    def visit(path: str, label: str | None = None) -> None:
        page.goto(server + path)
        look(label or path)

    def look(label: str) -> None:
        audit(label)
        gaps[label] = page.evaluate(
            "document.querySelector('h1').getBoundingClientRect().top"
            " - document.querySelector('header').getBoundingClientRect().bottom"
        )

    visit("/staff/login")
    page.fill("#email", f"axe{width}@example.org")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button:text('Sign in')")
    for path in (
        "/admin/",
        "/admin/schools",
        "/admin/waves/new",
        f"/admin/waves/{world.pupil_wave_id}",
        f"/admin/waves/{long_id}",
        f"/admin/waves/{long_id}/open",
        f"/admin/waves/{world.pupil_wave_id}/close",
        f"/admin/waves/{world.pupil_wave_id}/monitor",
        f"/admin/waves/{world.pupil_wave_id}/schools/{world.school_id}/sheet",
        "/admin/questionnaires",
        f"/admin/versions/{version_id}",
        f"/admin/versions/{version_id}/questions/felt_safety",
        f"/admin/versions/{version_id}/preview/ethnicity",
        "/admin/audit",
        "/admin/no-such-page",
    ):
        visit(path)
    page.goto(f"{server}/admin/waves/new")
    page.click("button:text('Create the wave')")
    look("create a wave with errors")
    assert page.evaluate("document.activeElement.dataset.errorSummary") == ""  # focus moved there
    page.goto(f"{server}/admin/waves/{world.pupil_wave_id}")
    page.click("button:text('Upload margins')")
    look("margins upload without a file")
    context.close()
    assert len(audit.problems) >= 18
    assert {label: found for label, found in audit.problems.items() if found} == {}
    assert {label: gap for label, gap in gaps.items() if gap < 16} == {}
