"""The session cookie's payload is plain JSON, and cookies written in Flask's tagged format
(before this app wrote plain JSON) are still read, so a deploy never turns a pupil's cookie
into an error."""

from __future__ import annotations

import json

from flask.sessions import SecureCookieSessionInterface

from survey_app.sessions import PlainJSONSerializer
from tests.support import Walker


class _RawPayload:
    """Hands back the cookie's JSON text as written, instead of parsing it."""

    @staticmethod
    def loads(text):
        return text

    @staticmethod
    def dumps(value):
        return json.dumps(value)


def _payload_text(app, cookie: str) -> str:
    interface = app.session_interface
    signer = interface.get_signing_serializer(app)
    raw = type(signer)(
        app.secret_key, salt=interface.salt, serializer=_RawPayload, signer_kwargs=signer.signer_kwargs
    )
    return raw.loads(cookie)


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_draft_and_a_flash_are_written_as_plain_json(app, client, world):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    assert walker.post(first, {"answer": "year_9"}).status_code == 303
    draft_text = _payload_text(app, _session_cookie(client))
    assert json.loads(draft_text)["draft"]["answers"] == {"year_group": "year_9"}
    token = walker.token("/")
    ended = client.post("/kiosk/end", data={"end-csrf_token": token, "end-code": world.class_code})
    assert ended.status_code == 303
    flash_text = _payload_text(app, _session_cookie(client))
    for text in (draft_text, flash_text):
        assert '" t"' not in text  # none of Flask's tags, such as {" t": [...]} for a tuple
    assert json.loads(flash_text)["_flashes"] == [
        ["message", "The class session has ended. This device is ready for a new class code."]
    ]
    assert "The class session has ended" in client.get("/").get_data(as_text=True)


def test_a_cookie_in_flasks_tagged_format_is_still_read(app, client, world):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    with app.test_request_context():
        session = app.session_interface.get_signing_serializer(app).loads(_session_cookie(client))
    session["_flashes"] = [("message", "Written before the upgrade")]  # a tuple: tagged by Flask
    tagged = SecureCookieSessionInterface().get_signing_serializer(app)
    with app.test_request_context():
        old_cookie = tagged.dumps(session)
    assert '" t"' in _payload_text(app, old_cookie)
    client.set_cookie("session", old_cookie)
    page = client.get(first)
    assert page.status_code == 200
    assert "Written before the upgrade" in page.get_data(as_text=True)  # the flash, read back
    assert walker.post(first, {"answer": "year_9"}).status_code == 303  # and the draft carries on


def test_non_latin_text_is_kept_as_written_not_escaped():
    written = PlainJSONSerializer().dumps({"answer": "আমি নিরাপদ বোধ করি"})
    assert "আমি নিরাপদ বোধ করি" in written and "\\u" not in written
