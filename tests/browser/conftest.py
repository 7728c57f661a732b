"""Debian's Chromium (the ``browser`` fixture of tests/conftest.py) against a real gunicorn
server."""

from __future__ import annotations

import pytest

from tests.servers import gunicorn


@pytest.fixture(scope="module")
def server(app, database_url):
    with gunicorn(database_url, workers=2) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
