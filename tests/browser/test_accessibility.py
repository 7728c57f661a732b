"""axe-core on every respondent page at 320px and 1280px, and no sideways scrolling at 320px."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import answer_questions
from tests.support import AWARE_PUPIL

BLOCKING = {"serious", "critical"}
PUBLIC = {"age_band": "16_24", "sex": "female", "ethnicity": "asian_indian",
          "borough": "E09000025", "parent_of_pupil": "no", "heard_of_sso": "yes",
          "support_sso": "tend_to_oppose", "police_good_job": "fair"}


class Audit:
    """Runs axe on each page it is shown and keeps the blocking problems by page."""

    def __init__(self, page, width: int) -> None:
        self.page, self.width, self.axe = page, width, Axe()
        self.problems: dict[str, list[str]] = {}

    def __call__(self, label: str | None = None) -> None:
        results = self.axe.run(self.page)
        found = [f"{v['id']} ({v['impact']}): {v['help']}"
                 for v in results.response["violations"] if v["impact"] in BLOCKING]
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
