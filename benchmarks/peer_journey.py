"""The bare peer for bench_journey: the same pupil journey with no framework extras.

Plain Flask + Jinja pages of about the same size as ours, the draft in Flask's signed cookie,
and one transaction (psycopg, no ORM) writing the response and its answers. No CSRF, no
limiter, no security headers, no access policy, no validation beyond routing: the ceiling
our real flow is measured against.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from flask import Flask, redirect, render_template, request, session

from benchmarks.peer_db import connection

QUESTIONNAIRE = json.loads(
    (Path(__file__).resolve().parent.parent / "survey_app" / "builtin" / "pupil.json").read_text()
)
QUESTIONS = QUESTIONNAIRE["questions"]
BY_KEY = {q["key"]: q for q in QUESTIONS}

app = Flask(__name__, template_folder="peer_templates")
app.secret_key = os.environ.get("SECRET_KEY", "peer-secret")


def route(answers: dict[str, str]) -> list[str]:
    asked = []
    for q in QUESTIONS:
        condition = q.get("condition")
        if condition is None or answers.get(condition["question"]) in condition["in"]:
            asked.append(q["key"])
    return asked


@app.get("/")
def start():
    return render_template("page.html", title="Start the survey", body="start")


@app.post("/code")
def code():
    session["kiosk"] = request.form["code"]
    return redirect("/", 303)


@app.post("/next")
def next_pupil():
    session["draft"] = {"answers": {}, "uuid": str(uuid.uuid4())}
    return redirect("/privacy", 303)


@app.route("/privacy", methods=["GET", "POST"])
def privacy():
    if request.method == "POST":
        return redirect(f"/q/{route({})[0]}", 303)
    return render_template("page.html", title="Before you start", body="privacy")


@app.route("/q/<key>", methods=["GET", "POST"])
def question(key: str):
    draft = session["draft"]
    if request.method == "POST":
        draft["answers"][key] = request.form.get("answer", "")
        session["draft"] = draft
        keys = route(draft["answers"])
        index = keys.index(key)
        return redirect(f"/q/{keys[index + 1]}" if index + 1 < len(keys) else "/send", 303)
    return render_template("question.html", question=BY_KEY[key])


@app.route("/send", methods=["GET", "POST"])
def send():
    draft = session["draft"]
    if request.method == "GET":
        return render_template("page.html", title="Check your answers", body="review")
    database = connection()
    with database.transaction():
        database.execute("INSERT INTO peer_response (id, body) VALUES (%s, %s)", (draft["uuid"], ""))
        with database.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO peer_answer (response_id, question_key, value) VALUES (%s, %s, %s)",
                [(draft["uuid"], k, v) for k, v in draft["answers"].items()],
            )
    session.pop("draft")
    return redirect("/thanks", 303)


@app.get("/thanks")
def thanks():
    return render_template("page.html", title="Thank you", body="thanks")


@app.post("/finish")
def finish():
    return redirect("/", 303)
