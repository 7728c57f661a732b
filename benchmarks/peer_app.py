"""The peer for bench_submit: the least a submit endpoint can do (one INSERT over psycopg).

No validation, no CSRF, no session, no ORM: the ceiling our real endpoint is measured against.
"""

from __future__ import annotations

import uuid

from flask import Flask, request

from benchmarks.peer_db import connection

app = Flask(__name__)


@app.post("/send")
def send():
    connection().execute(
        "INSERT INTO peer_response (id, body) VALUES (%s, %s)",
        (uuid.UUID(request.form["submission_uuid"]), request.get_data(as_text=True)),
    )
    return "", 303, {"Location": "/thanks"}
