"""Production hardening (issue 10): control characters, logs without answers, staff upload
limits, and a quick 503 when the database is unavailable."""

from __future__ import annotations

import io
import logging
import time

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.extensions import db
from survey_app.models import AccessCode, AuditEvent, Response, TextAnswer, Wave, WaveSchool
from survey_app.models.types import utcnow
from tests.support import AWARE_PUPIL, STAFF_PASSWORD, Walker, csrf_token, stored_answers

ALLOWED = {200, 302, 303, 400, 404, 405, 409, 413, 429}


def test_a_nul_byte_in_a_free_text_answer_is_removed_and_the_pupil_can_send(app, world):
    walker = Walker(app.test_client())
    walker.answer_all(
        walker.start_pupil(world.class_code), {**AWARE_PUPIL, "comments": "hello\x00 world\x07 ok"}
    )
    assert walker.send().status_code == 303
    with app.app_context():
        text = db.session.scalar(
            sa.select(TextAnswer.text_value).where(TextAnswer.question_key == "comments")
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert text == "hello world ok"


@pytest.mark.parametrize(
    "path", ["/public/abc%00def", "/staff/login?next=/%00", "/q/%00", "/results/%00", "/code?x=%01"]
)
def test_control_characters_in_an_address_get_a_clear_400(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 400
    assert "Something went wrong with that page" in response.get_data(as_text=True)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.binary(max_size=80), address=st.binary(max_size=40))
def test_raw_bytes_and_invalid_utf8_never_give_a_500(app, world, body, address):
    client = app.test_client()
    walker = Walker(client)
    walker.start_pupil(world.class_code)
    token = walker.token("/q/year_group").encode()
    encoded = "".join(f"%{b:02X}" for b in address)
    for path in (
        "/q/comments",
        "/q/year_group",
        "/send",
        "/code",
        "/staff/login",
        f"/public/{encoded}",
        f"/q/{encoded}",
    ):
        response = client.post(
            path,
            data=b"csrf_token=" + token + b"&answer=" + body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code in ALLOWED, (path, response.status_code)
        assert client.get(path).status_code in ALLOWED, path


def _refuse_answers(engine: sa.Engine) -> None:
    """A database-side failure on every answer insert, as a restart mid-Send would cause."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text(
                    "CREATE FUNCTION refuse_answer() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_answer BEFORE INSERT ON answer FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_answer()"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_answer BEFORE INSERT ON answer "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )


def _allow_answers(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "DROP TRIGGER refuse_answer" + (" ON answer" if engine.dialect.name == "postgresql" else "")
            )
        )
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP FUNCTION refuse_answer()"))


def test_a_database_error_during_send_logs_no_answer_and_no_response_id(app, world, caplog):
    walker = Walker(app.test_client())
    walker.answer_all(
        walker.start_pupil(world.class_code), {**AWARE_PUPIL, "comments": "ZEBRA-CROSSING-7781"}
    )
    submission = walker.submission_uuid()
    with app.app_context():
        _refuse_answers(db.engine)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and parameters
    try:
        response = walker.send(submission)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        with app.app_context():
            _allow_answers(db.engine)
    assert response.status_code >= 500
    assert caplog.records, "the failure was not logged at all"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("ZEBRA-CROSSING-7781", submission, submission.replace("-", "")):
        assert secret not in logged


def test_staff_uploads_up_to_their_limit_work_and_a_pupil_body_limit_does_not_apply(app, staff, world):
    client = staff("admin")
    rows = "".join(
        f"{100300 + i},School number {i} with a long name for size,Hackney,Secondary\n" for i in range(1400)
    )
    data = ("urn,name,borough,phase\n" + rows).encode()
    assert 64 * 1024 < len(data) < 2 * 1024 * 1024
    body = {
        "csrf_token": csrf_token(client.get("/admin/schools").get_data(as_text=True)),
        "file": (io.BytesIO(data), "schools.csv"),
    }
    response = client.post("/admin/schools", data=body, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_an_unavailable_database_gives_a_quick_503_with_retry_after_and_headers(app, world, monkeypatch):
    from survey_app.respond import entry

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(entry, "find_usable", down)
    walker = Walker(app.test_client())
    response = walker.enter_code(world.class_code)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "Content-Security-Policy" in response.headers
    assert "Wait a minute" in response.get_data(as_text=True)


def _login(client, email: str, password: str, address: str):
    html = client.get("/staff/login").get_data(as_text=True)
    return client.post(
        "/staff/login",
        data={"csrf_token": csrf_token(html), "email": email, "password": password},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_an_attacker_cannot_lock_the_real_admin_out(app, staff):
    attacker = app.test_client()
    statuses = [
        _login(attacker, "admin@example.org", f"guess {i}", "198.51.100.9").status_code for i in range(40)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    refused = _login(attacker, "admin@example.org", STAFF_PASSWORD, "198.51.100.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    owner = _login(app.test_client(), "admin@example.org", STAFF_PASSWORD, "203.0.113.20")
    assert owner.status_code == 303
    with app.app_context():
        failed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
        throttled = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "login_throttled")
        ).all()
    assert len(failed) == 5 and {e.detail["email"] for e in failed} == {"admin@example.org"}
    assert len(throttled) == 36


def test_correct_class_codes_are_never_limited_after_an_address_trips_the_wrong_code_limit(
    app, world, monkeypatch
):
    monkeypatch.setitem(app.config, "CODE_FAILURES_PER_IP", "3 per 10 minutes")
    statuses = [Walker(app.test_client()).enter_code("WRONG-CODE-1").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    for _ in range(20):  # a whole class behind the same school address
        assert Walker(app.test_client()).enter_code(world.class_code).status_code == 303


def test_eleven_wrong_codes_from_one_session_get_a_429_with_retry_after(app, world):
    walker = Walker(app.test_client())
    statuses = [walker.enter_code(f"WRONG-{i}").status_code for i in range(11)]
    assert statuses == [400] * 10 + [429]
    response = walker.enter_code("WRONG-X")
    assert int(response.headers["Retry-After"]) > 0
    assert walker.enter_code(world.class_code).status_code == 303


def test_an_exhausted_connection_pool_gives_a_503_within_the_pool_timeout(app, world, database_url):
    from config import TestingConfig
    from survey_app import create_app

    small = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": 1,
            "hide_parameters": True,
        },
    )
    with small.app_context():
        held = db.engine.connect()  # every other request now waits for the pool
        try:
            started = time.monotonic()
            response = small.test_client().get(f"/public/{world.public_slug}")
            waited = time.monotonic() - started
        finally:
            held.close()
            db.engine.dispose()
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert waited < 5


def test_a_class_code_past_its_cap_is_held_for_review_never_dropped(app, world):
    with app.app_context():
        link = db.session.scalar(sa.select(WaveSchool).where(WaveSchool.school_id == world.school_id))
        link.expected_pupils = 3  # cap: ceil(3 × 1.1) = 4
        db.session.commit()
    for _ in range(5):
        walker = Walker(app.test_client())
        walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
        assert walker.send().status_code == 303
    with app.app_context():
        held = db.session.scalars(sa.select(Response.held)).all()
        wave = db.session.get(Wave, world.pupil_wave_id)
        from survey_app.services import datasets, monitor

        assert sorted(held) == [False] * 4 + [True]
        assert len(datasets.load(wave).frame) == 4  # results leave the held one out
        _, total = monitor.fieldwork(wave)
    assert total.held == 1 and total.responses == 5


def test_retention_deletes_old_free_text_and_old_codes_with_a_dry_run_first(app, world):
    from datetime import timedelta

    walker = Walker(app.test_client())
    walker.answer_all(walker.start_pupil(world.class_code), {**AWARE_PUPIL, "comments": "mine"})
    assert walker.send().status_code == 303
    runner = app.test_cli_runner()
    with app.app_context():
        wave = db.session.get(Wave, world.pupil_wave_id)
        wave.text_retention_days = 30
        db.session.execute(
            sa.update(Response).values(submitted_on=Response.submitted_on - timedelta(days=31))
        )
        codes_before = db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode))
        db.session.commit()
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0 and "Would delete 1 free-text answers" in dry.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TextAnswer)) == 1
    done = runner.invoke(args=["retention", "run"])
    assert done.exit_code == 0 and "Deleted 1 free-text answers and 0 access codes" in done.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TextAnswer)) == 0
        assert stored_answers() == [{k: v for k, v in AWARE_PUPIL.items() if k != "comments"}]
        wave = db.session.get(Wave, world.pupil_wave_id)
        wave.closes_at = utcnow() - timedelta(days=31)
        wave.opens_at = wave.closes_at - timedelta(days=10)
        db.session.commit()
        audited = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "retention_run")
        ).all()
    assert [a["dry_run"] for a in audited] == [True, False]
    later = runner.invoke(args=["retention", "run"])
    with app.app_context():
        codes_after = db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode))
        others = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AccessCode)
            .where(AccessCode.wave_id != world.pupil_wave_id)
        )
    assert later.exit_code == 0 and 0 < others == codes_after < codes_before
