"""Steps the browser suites share."""

from __future__ import annotations

from collections.abc import Callable


def answer_questions(
    page, answers: dict[str, str], on_each_page: Callable[[], None] | None = None, start: bool = True
) -> None:
    """Answers every question routing asks (from the privacy page) and stops on the send page."""
    if start:
        page.click("button:text('Start the questions')")
    while "/q/" in page.url:
        if on_each_page:
            on_each_page()
        key = page.url.rsplit("/", 1)[1]
        if key == "comments":
            page.fill("textarea", answers.get(key, ""))
        elif key in answers:
            page.check(f"input[value='{answers[key]}']")
        page.click("button:text('Continue')")
        page.wait_for_load_state()
