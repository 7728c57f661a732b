"""The session cookie: Flask's signed cookie, its payload written as plain compact JSON.

Flask's default serializer tags each value it writes (tuples, bytes, dates, markup) by trying
eight checks per value. Everything this app keeps in the session is a string, number, flag,
list or dict: a pupil's draft is rewritten on every answer, and tagging it was about 8% of a
question POST's work. Reading still understands tagged payloads, so cookies written before keep
working; a flash message read back comes as a list instead of a tuple, which Flask unpacks
alike.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class PlainJSONSerializer(TaggedJSONSerializer):
    """Writes plain JSON; reads plain or tagged (the parent's ``loads``)."""

    def dumps(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class CookieSessionInterface(SecureCookieSessionInterface):
    serializer = PlainJSONSerializer()

    def __init__(self) -> None:
        self._signers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """One serializer per set of keys instead of a new one for each read and write of the
        cookie (building one even serializes a test value)."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._signers:
            self._signers[keys] = super().get_signing_serializer(app)
        return self._signers[keys]
