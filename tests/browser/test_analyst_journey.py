"""A new analyst in a real browser: weigh a wave, read every results section, prepare a
draft; an admin publishes it; the public page shows it. axe-core on every results page at
320px and 1280px, and every chart drawn with exactly the numbers of the table beside it."""

from __future__ import annotations

import pytest

from survey_app.extensions import db
from survey_app.models import Wave
from tests.browser.test_accessibility import Audit
from tests.support import STAFF_PASSWORD, make_staff, populate_pupil_wave

# Each bar chart's values, in the order of the rows of the table beside it; a hidden cell is
# a zero-length bar whose label is its symbol.
CHART_AND_TABLE = """
() => Array.from(document.querySelectorAll('.result-panel')).flatMap(panel => {
  const chart = panel.querySelector('.chart');
  const table = panel.querySelector('table');
  if (!chart || !table || !chart._fullData || chart._fullData[0].type !== 'bar') return [];
  const bars = Array.from(chart._fullData[0].x).map(Number);  // decoded, as drawn
  const labels = Array.from(chart._fullData[0].text);
  const cells = Array.from(table.querySelectorAll('tbody tr')).map(
    row => row.querySelectorAll('td')[0].textContent.trim());
  return [{bars, labels, cells, drawn: chart.querySelectorAll('.main-svg').length}];
})
"""


@pytest.fixture
def weighted_wave(app, world):
    with app.app_context():
        make_staff("analyst@example.org", "analyst")
        make_staff("admin@example.org", "admin")
        populate_pupil_wave(db.session.get(Wave, world.pupil_wave_id), 600, seed=5, margins=("ethnic_group",))
        db.session.remove()
    return world.pupil_wave_id


def _sign_in(page, server: str, email: str) -> None:
    page.goto(f"{server}/staff/login")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button:text('Sign in')")


def _charts_match_tables(page) -> int:
    page.wait_for_selector(".chart .main-svg")
    panels = page.evaluate(CHART_AND_TABLE)
    for panel in panels:
        assert panel["drawn"] > 0
        for bar, label, cell in zip(panel["bars"], panel["labels"], panel["cells"], strict=True):
            if cell.startswith("["):  # hidden: a symbol in the table, no bar, the symbol as label
                assert bar == 0 and label == cell
            else:
                assert bar == pytest.approx(float(cell)), (bar, cell)
    return len(panels)


def test_an_analyst_weighs_reads_and_drafts_and_an_admin_publishes(server, browser, weighted_wave):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    audits = {width: Audit(page, width) for width in (1280, 320)}

    def audit(label: str) -> None:
        for width, checker in audits.items():
            page.set_viewport_size({"width": width, "height": 900})
            checker(f"{label} at {width}px")
        page.set_viewport_size({"width": 1280, "height": 900})

    _sign_in(page, server, "analyst@example.org")
    assert page.url.endswith("/analysis/")
    audit("results home")
    page.click("text=Pupil wave")
    page.click("button:text('Weigh the responses now')")
    assert "Weighted: the results below are from this weighting." in page.content()
    for heading in (
        "Headline indicators",
        "Equality view",
        "Trends across waves",
        "Borough performance framework",
        "Weighting diagnostics",
    ):
        assert page.get_by_role("heading", name=heading).count() >= 1, heading
    assert _charts_match_tables(page) >= 20
    audit("wave results")
    page.click("button:text('Prepare a draft release')")
    assert "Draft: not published" in page.content()
    release_url = page.url
    audit("draft release")
    page.click("button:text('Publish this release')")
    assert "Someone other than the person who prepared" in page.content()
    page.click("button:text('Sign out')")

    _sign_in(page, server, "admin@example.org")
    page.goto(release_url)
    page.click("button:text('Publish this release')")
    page.wait_for_url(f"{server}/results/*")
    assert "Published" in page.content() and "SHA-256" in page.content()
    assert _charts_match_tables(page) >= 20
    audit("published release")
    page.goto(f"{server}/results/")
    audit("public results index")
    context.close()
    problems = {
        label: found for checker in audits.values() for label, found in checker.problems.items() if found
    }
    assert problems == {}
