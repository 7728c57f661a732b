"""Helpers shared by the test suites: real parts, fresh databases, a walk through the flow."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

IN_CI = os.environ.get("CI") == "true"
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://surveys:surveys@127.0.0.1:5432/postgres"
)


def require(available: bool, what: str) -> None:
    """A missing real part (browser, PostgreSQL) fails in CI and skips, with the reason, elsewhere."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001  any failure to connect means "not available"
        return False


def create_pg_database() -> str:
    """An empty PostgreSQL database with a unique name; returns its URL."""
    name = f"surveys_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


@dataclass
class World:
    """A small survey world: two open waves, codes, schools. Codes are plain strings."""

    pupil_wave_id: int
    public_wave_id: int
    public_slug: str
    class_code: str
    other_class_code: str
    invitation_codes: list[str]
    school_id: int


def build_world() -> World:
    from survey_app.extensions import db
    from survey_app.models import (
        Audience,
        Borough,
        CodeKind,
        Questionnaire,
        School,
        Wave,
        WaveSchool,
    )
    from survey_app.models.types import utcnow
    from survey_app.services import builtin
    from survey_app.services.access_codes import create_codes

    builtin.load_all()
    boroughs = db.session.scalars(sa.select(Borough).order_by(Borough.code).limit(2)).all()
    schools = [School(urn=f"10000{i}", name=f"Test School {i}", borough=boroughs[i % 2]) for i in range(3)]
    db.session.add_all(schools)
    versions = {q.audience: q.versions[-1] for q in db.session.scalars(sa.select(Questionnaire))}
    now = utcnow()
    pupil = Wave(
        name="Pupil wave",
        slug="pupil-wave",
        version=versions[Audience.PUPIL],
        audience=Audience.PUPIL,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    public = Wave(
        name="Public wave",
        slug="public-wave",
        version=versions[Audience.PUBLIC],
        audience=Audience.PUBLIC,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        open_link=True,
    )
    db.session.add_all([pupil, public])
    pupil.open()
    public.open()
    for school in schools:
        db.session.add(WaveSchool(wave=pupil, school=school, expected_pupils=100))
    class_codes = create_codes(pupil, CodeKind.CLASS, 1, school=schools[0], class_label="8X")
    other = create_codes(pupil, CodeKind.CLASS, 1, school=schools[1], class_label="10Y")
    invitations = create_codes(public, CodeKind.INVITATION, 3)
    db.session.commit()
    return World(
        pupil.id,
        public.id,
        public.slug,
        class_codes[0].code,
        other[0].code,
        [c.code for c in invitations],
        schools[0].id,
    )


# A complete pupil journey for an aware pupil: 13 questions, comments last.
AWARE_PUPIL = {
    "year_group": "year_9",
    "gender": "girl",
    "ethnicity": "black_caribbean",
    "send": "yes",
    "aware_sso": "yes",
    "know_sso": "yes",
    "felt_safety": "less_safe",
    "officer_discipline": "yes",
    "officer_helped": "no",
    "safe_at_school": "fairly_safe",
    "safe_around_school": "fairly_unsafe",
    "trust_police": "not_much",
    "comments": "The officer stopped me in the corridor.",
}


class Walker:
    """Walks the respondent flow through any client with Flask's test-client interface."""

    def __init__(self, client) -> None:
        self.client = client

    def token(self, path: str = "/") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, token_from: str | None = None):
        body = {"csrf_token": self.token(token_from or path), **(data or {})}
        return self.client.post(path, data=body)

    def enter_code(self, code: str):
        return self.post("/code", {"code": code}, token_from="/")

    def start_pupil(self, class_code: str | None = None) -> str:
        """Opens the kiosk (if a code is given) and starts a pupil; returns the first question URL."""
        if class_code:
            assert self.enter_code(class_code).status_code == 303
        assert self.post("/next", token_from="/").status_code == 303
        response = self.post("/privacy")
        assert response.status_code == 303, response.status_code
        return response.headers["Location"]

    def answer_all(self, first_url: str, answers: dict[str, str]) -> list[str]:
        """Answers every question routing asks; returns the keys asked, in order."""
        asked, url = [], first_url
        while url.startswith("/q/"):
            key = url.removeprefix("/q/")
            asked.append(key)
            response = self.post(url, {"answer": answers.get(key, "")})
            assert response.status_code == 303, (key, response.status_code)
            url = response.headers["Location"]
        assert url == "/send"
        return asked

    def submission_uuid(self) -> str:
        html = self.client.get("/send").get_data(as_text=True)
        match = re.search(r'name="submission_uuid" type="hidden" value="([^"]+)"', html)
        assert match, "review page has no submission UUID"
        return match.group(1)

    def send(self, submission_uuid: str | None = None):
        submission_uuid = submission_uuid or self.submission_uuid()
        return self.post("/send", {"submission_uuid": submission_uuid}, token_from="/send")


STAFF_PASSWORD = "orbit cactus lantern fjord 42"


def make_staff(email: str, role: str) -> None:
    """A staff user with ``STAFF_PASSWORD`` (call inside an app context)."""
    from survey_app.extensions import db
    from survey_app.models import Role
    from survey_app.services.staff import create_user

    create_user(email, Role(role), STAFF_PASSWORD)
    db.session.commit()


def sign_in(client, email: str, password: str = STAFF_PASSWORD):
    html = client.get("/staff/login").get_data(as_text=True)
    return client.post(
        "/staff/login", data={"csrf_token": csrf_token(html), "email": email, "password": password}
    )


TEST_MARGINS = {"gender": {"boy": 0.5, "girl": 0.48, "another_way": 0.02}}


def populate_pupil_wave(
    wave, responses: int, seed: int, margins: tuple[str, ...] = ("ethnic_group", "gender")
) -> None:
    """Synthetic pupils for a wave whose schools' rolls keep every class code under its cap,
    and population margins to weight them to (call inside an app context; commits)."""
    import random

    from survey_app.extensions import db
    from survey_app.models import PopulationMargin
    from survey_app.services import demo

    for link in wave.schools:
        link.expected_pupils = 1000
    demo.add_pupil_responses(wave, responses, random.Random(seed), max_text=1000)  # noqa: S311
    shares = {"ethnic_group": demo.ETHNIC_GROUP_SHARES, **TEST_MARGINS}
    for variable in margins:
        for category, share in shares[variable].items():
            db.session.add(
                PopulationMargin(
                    wave=wave,
                    variable=variable,
                    category=category,
                    proportion=share,
                    source_note="test margins",
                )
            )
    db.session.commit()


def later_wave(first, name: str, responses: int, seed: int, hours: int = 1):
    """A wave of the same questionnaire opening ``hours`` after ``first``, in its schools, with
    ``responses`` synthetic pupils and ``first``'s margins (call inside an app context; commits)."""
    from datetime import timedelta

    from survey_app.extensions import db
    from survey_app.models import CodeKind, PopulationMargin, Wave
    from survey_app.services import waves
    from survey_app.services.access_codes import create_codes

    wave = Wave(
        name=name,
        slug=name.lower().replace(" ", "-"),
        version=first.version,
        audience=first.audience,
        opens_at=first.opens_at + timedelta(hours=hours),
        closes_at=first.closes_at,
    )
    db.session.add(wave)
    wave.open()
    db.session.flush()
    for link in first.schools:
        waves.set_expected(wave, link.school, 1000)
    create_codes(wave, CodeKind.CLASS, 1, school=first.schools[0].school, class_label="7A")
    populate_pupil_wave(wave, responses, seed, margins=())
    for margin in db.session.scalars(sa.select(PopulationMargin).where(PopulationMargin.wave_id == first.id)):
        db.session.add(
            PopulationMargin(
                wave=wave,
                variable=margin.variable,
                category=margin.category,
                proportion=margin.proportion,
                source_note="test",
            )
        )
    db.session.commit()
    return wave


def staff_user(email: str):
    """The staff member with this email (inside an app context)."""
    from survey_app.extensions import db
    from survey_app.models import StaffUser

    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))


def stored_answers() -> list[dict[str, str]]:
    """Every stored response's answers as it sent them, option codes and free text (inside an
    app context): what a test compares with what a respondent chose."""
    from survey_app.extensions import db
    from survey_app.models import Response
    from survey_app.services.responses import stored_answers as of_response

    return [of_response(key) for key in db.session.scalars(sa.select(Response.submission_uuid))]


def synthetic_responses(wave, count: int, rng) -> list[dict]:
    """``count`` synthetic pupils of ``wave``'s schools as Send stores them, rows ready for a
    bulk insert (call inside an app context): big test and benchmark worlds in seconds."""
    import uuid
    from datetime import date

    from survey_app.services import answer_codes, demo
    from survey_app.services.versions import load_version

    version = load_version(wave.version_id)
    choices = answer_codes.choice_questions(version)
    ethnicity = [(o.code, o.group) for o in version.question("ethnicity").options if o.group]
    schools = [link.school_id for link in wave.schools]
    return [
        {
            "submission_uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
            "wave_id": wave.id,
            "school_id": rng.choice(schools),
            "language": "en",
            "submitted_on": date.today(),
            "completed": True,
            "held": False,
            "answer_codes": answer_codes.encode(choices, demo.pupil_answers(rng, ethnicity)),
        }
        for _ in range(count)
    ]
