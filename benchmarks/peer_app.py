"""The peer for bench_submit: the least a submit endpoint can do (one INSERT over psycopg).

No validation, no CSRF, no session, no ORM: the ceiling our real endpoint is measured against.
"""

from __future__ import annotations

import os
import uuid

import psycopg
from flask import Flask, request

app = Flask(__name__)
# One connection per worker process: gunicorn's sync workers handle one request at a time.
connection = psycopg.connect(os.environ["PEER_DSN"], autocommit=True)


@app.post("/send")
def send():
    connection.execute(
        "INSERT INTO peer_response (id, body) VALUES (%s, %s)",
        (uuid.UUID(request.form["submission_uuid"]), request.get_data(as_text=True)),
    )
    return "", 303, {"Location": "/thanks"}
