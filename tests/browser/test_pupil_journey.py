"""A pupil on a shared device, in a real browser: keyboard only, double clicks, Back, storage."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import Response, Wave
from survey_app.services.responses import load_version
from tests.browser.helpers import answer_questions
from tests.support import AWARE_PUPIL, stored_answers


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _option_positions(app, world) -> dict[str, dict[str, int]]:
    with app.app_context():
        version = load_version(db.session.get(Wave, world.pupil_wave_id).version_id)
        return {q.key: {o.code: i for i, o in enumerate(q.options)} for q in version.questions}


def _tab_to(page, selector: str, text: str | None = None, limit: int = 40) -> None:
    """Presses Tab until the focused element matches ``selector`` (and has ``text``)."""
    check = (
        "([s, t]) => document.activeElement.matches(s) && "
        "(t === null || document.activeElement.textContent.trim() === t)"
    )
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(check, [selector, text]):
            return
    raise AssertionError(f"could not reach {selector} {text or ''} with Tab")


def _enter(page) -> None:
    """Presses Enter on the focused control and waits for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _open_class_session(page, server: str, code: str) -> None:
    page.goto(f"{server}/")
    _tab_to(page, "#code")
    page.keyboard.type(code)
    _enter(page)
    assert page.url == f"{server}/"
    _tab_to(page, "button", "Start the survey")
    _enter(page)
    assert page.url == f"{server}/privacy"


def test_pupil_finishes_the_survey_with_the_keyboard_alone(app, world, server, page):
    positions = _option_positions(app, world)
    _open_class_session(page, server, world.class_code)
    _tab_to(page, "button", "Start the questions")
    _enter(page)
    while "/q/" in page.url:
        key = page.url.rsplit("/", 1)[1]
        if key == "comments":
            _tab_to(page, "textarea")
            page.keyboard.type(AWARE_PUPIL[key])
        else:
            _tab_to(page, "input[type=radio]")
            page.keyboard.press("Space")
            for _ in range(positions[key][AWARE_PUPIL[key]]):
                page.keyboard.press("ArrowDown")
        _tab_to(page, "button", "Continue")
        _enter(page)
    assert page.url.endswith("/send")
    _tab_to(page, "button", "Send my answers")
    _enter(page)
    assert page.url == f"{server}/thanks"
    assert "Thank you" in page.inner_text("h1")
    with app.app_context():
        assert stored_answers() == [AWARE_PUPIL]


def test_double_clicking_send_stores_one_response(app, world, server, browser):
    for javascript in (True, False):
        context = browser.new_context(java_script_enabled=javascript)
        page = context.new_page()
        _open_class_session(page, server, world.class_code)
        answer_questions(page, AWARE_PUPIL)
        page.dblclick("button:text('Send my answers')")
        page.wait_for_url(f"{server}/thanks")
        context.close()
    with app.app_context():
        assert stored_answers() == [AWARE_PUPIL, AWARE_PUPIL]


def test_back_after_next_pupil_shows_no_answers_and_nothing_is_stored_on_the_device(app, world, server, page):
    _open_class_session(page, server, world.class_code)
    answer_questions(page, AWARE_PUPIL)
    page.click("button:text('Send my answers')")
    page.wait_for_url(f"{server}/thanks")
    page.click("button:text('Finished – next pupil')")
    page.wait_for_url(f"{server}/")
    for _ in range(6):
        page.go_back()
        page.wait_for_load_state()
        assert page.locator("input:checked").count() == 0, page.url
        assert AWARE_PUPIL["comments"] not in page.content(), page.url
        assert "/q/" not in page.url and "/send" not in page.url
    storage = page.evaluate("localStorage.length + sessionStorage.length")
    assert storage == 0
    assert _count(app, Response) == 1


def test_idle_warning_appears_and_clears_the_answers(app, world, server, page):
    _open_class_session(page, server, world.class_code)
    page.click("text=Start the questions")
    page.check("input[value='year_8']")
    page.evaluate("document.body.dataset.idleSeconds")  # the page declares its idle limit
    assert int(page.get_attribute("body", "data-idle-seconds")) == app.config["KIOSK_IDLE_SECONDS"]
    page.clock.install()
    page.reload()
    page.check("input[value='year_8']")
    page.clock.run_for((app.config["KIOSK_IDLE_SECONDS"] - 30) * 1000)
    assert page.is_visible("text=Are you still there?")
    with page.expect_response("**/still-here") as kept:
        page.click('button:text("I\'m still here")')
    assert kept.value.status == 204 and page.is_hidden("text=Are you still there?")
    page.clock.run_for((app.config["KIOSK_IDLE_SECONDS"] - 30) * 1000)  # warned again, ignored
    assert page.is_visible("text=Are you still there?")
    page.clock.run_for(60 * 1000)
    page.wait_for_url(f"{server}/")
    assert "Start the survey" in page.content()
