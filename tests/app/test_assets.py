"""Static file addresses are worked out once, but per address prefix: an app mounted under a
path (SCRIPT_NAME) must never be handed the addresses worked out for the root, or the reverse."""

from __future__ import annotations

import re

STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def _stylesheet(client, **environ) -> str:
    page = client.get("/", environ_overrides=environ)
    assert page.status_code == 200
    return STYLESHEET.search(page.get_data(as_text=True)).group(1)


def test_static_addresses_follow_the_prefix_the_app_is_mounted_under(client):
    assert _stylesheet(client) == "/static/css/app.css"
    assert _stylesheet(client, SCRIPT_NAME="/surveys") == "/surveys/static/css/app.css"
    assert _stylesheet(client) == "/static/css/app.css"
    assert client.get("/static/css/app.css").status_code == 200
