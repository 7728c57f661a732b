"""Demo data: boroughs, schools, two open waves, codes, illustrative margins and responses.

Synthetic responses go through ``store_response``, the same path as real ones, so the demo
exercises validation, routing and code counting exactly as a live wave would.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    Audience,
    Borough,
    CodeKind,
    PopulationMargin,
    Questionnaire,
    Release,
    Response,
    Role,
    School,
    StaffUser,
    Wave,
    WaveSchool,
)
from survey_app.models.types import utcnow
from survey_app.services import access_codes, builtin, releases, snapshots, staff
from survey_app.services.access_codes import create_codes
from survey_app.services.responses import (
    Submission,
    count_code_start,
    store_response,
)
from survey_app.services.versions import load_version

PUPIL_WAVE = "Demo pupil survey"
PUBLIC_WAVE = "Demo public survey"
ILLUSTRATIVE = "ILLUSTRATIVE ONLY - made up for the demo, not official figures"
# Roughly London-like shares, for the demo only.
ETHNIC_GROUP_SHARES = {"Asian": 0.23, "Black": 0.18, "Mixed": 0.12, "White": 0.37, "Other": 0.10}


@dataclass
class DemoSummary:
    pupil_wave: Wave
    public_wave: Wave
    class_codes: list[AccessCode]
    invitation_codes: list[AccessCode]
    responses_added: int
    staff: list[tuple[str, str]]  # demo accounts made now, with their generated passwords


def _schools(rng: random.Random) -> list[School]:
    existing = list(db.session.scalars(select(School).where(School.urn.like("99%"))))
    if existing:
        return existing
    schools = []
    boroughs = list(db.session.scalars(select(Borough).order_by(Borough.code)))
    for i in range(60):
        borough = boroughs[i % len(boroughs)]
        letter = "AB"[i // len(boroughs)]
        schools.append(
            School(
                urn=f"99{i:04d}",
                name=f"{borough.name} Demo School {letter}",
                borough=borough,
                phase="Secondary",
            )
        )
    db.session.add_all(schools)
    return schools


def _wave(name: str, slug: str, audience: Audience, open_link: bool) -> tuple[Wave, bool]:
    wave = db.session.scalar(select(Wave).where(Wave.name == name))
    if wave:
        return wave, False
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.audience == audience))
    now = utcnow()
    wave = Wave(
        name=name,
        slug=slug,
        version=questionnaire.versions[-1],
        audience=audience,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=90),
        open_link=open_link,
    )
    db.session.add(wave)
    wave.open()
    return wave, True


def _margins(wave: Wave, shares: dict[str, dict[str, float]]) -> None:
    for variable, categories in shares.items():
        for category, proportion in categories.items():
            db.session.add(
                PopulationMargin(
                    wave=wave,
                    variable=variable,
                    category=category,
                    proportion=proportion,
                    source_note=ILLUSTRATIVE,
                )
            )


def _set_up_pupil_wave(wave: Wave, schools: list[School], rng: random.Random) -> None:
    for school in schools:
        db.session.add(WaveSchool(wave=wave, school=school, expected_pupils=rng.randint(400, 1400)))
        for label in ("Year 8 tutor group", "Year 10 tutor group"):
            create_codes(wave, CodeKind.CLASS, 1, school=school, class_label=label)
    years = {
        f"year_{n}": share
        for n, share in zip(range(7, 14), (0.17, 0.17, 0.17, 0.16, 0.15, 0.09, 0.09), strict=True)
    }
    _margins(wave, {"year_group": years, "ethnic_group": ETHNIC_GROUP_SHARES})


def pupil_answers(rng: random.Random, ethnicity_options: list[tuple[str, str]]) -> dict[str, str]:
    """One plausible pupil: experiences differ by ethnic group and SEND, as the survey asks."""
    group = rng.choices(list(ETHNIC_GROUP_SHARES), weights=list(ETHNIC_GROUP_SHARES.values()))[0]
    ethnicity = rng.choice([code for code, g in ethnicity_options if g == group])
    send = rng.choices(["yes", "no", "not_sure", "prefer_not_to_say"], [15, 70, 10, 5])[0]
    answers = {
        "year_group": rng.choices(
            [f"year_{n}" for n in range(7, 14)] + ["prefer_not_to_say"], [17, 17, 17, 16, 15, 8, 8, 2]
        )[0],
        "gender": rng.choices(["boy", "girl", "another_way", "prefer_not_to_say"], [48, 48, 2, 2])[0],
        "ethnicity": ethnicity if rng.random() > 0.04 else "prefer_not_to_say",
        "send": send,
        "aware_sso": rng.choices(["yes", "no", "not_sure"], [70, 18, 12])[0],
        "safe_at_school": rng.choices(
            ["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe", "dont_know"], [45, 40, 8, 3, 4]
        )[0],
        "safe_around_school": rng.choices(
            ["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe", "dont_know"], [30, 45, 15, 5, 5]
        )[0],
    }
    answers["trust_police"] = rng.choices(
        ["a_lot", "a_fair_amount", "not_much", "not_at_all", "dont_know"],
        [15, 35, 20, 15, 15] if group == "Black" else [25, 40, 15, 8, 12],
    )[0]
    if answers["aware_sso"] == "yes":
        less = 0.03 + (0.04 if group == "Black" else 0) + (0.03 if send == "yes" else 0)
        more = 0.41 - (0.08 if group == "Black" else 0) - (0.05 if send == "yes" else 0)
        answers["know_sso"] = rng.choices(["yes", "no", "not_sure"], [60, 30, 10])[0]
        answers["felt_safety"] = rng.choices(
            ["more_safe", "no_different", "less_safe", "dont_know"], [more, 0.88 - more - less, less, 0.12]
        )[0]
        spoken = 0.12 + (0.08 if group == "Black" else 0) + (0.06 if send == "yes" else 0)
        answers["officer_discipline"] = rng.choices(["yes", "no", "not_sure"], [spoken, 0.85 - spoken, 0.15])[
            0
        ]
        answers["officer_helped"] = rng.choices(["yes", "no", "not_sure"], [25, 60, 15])[0]
    return answers


def add_pupil_responses(wave: Wave, count: int, rng: random.Random, max_text: int) -> int:
    """Stores ``count`` synthetic responses through the normal service, committing in batches."""
    version = load_version(wave.version_id)
    ethnicity_options = [(o.code, o.group) for o in version.question("ethnicity").options if o.group]
    codes = list(
        db.session.scalars(
            select(AccessCode).where(AccessCode.wave_id == wave.id, AccessCode.kind == CodeKind.CLASS)
        )
    )
    for i in range(count):
        code = rng.choice(codes)
        for _ in range(1 + (rng.random() < 0.08)):  # about 8% of pupils start and give up
            count_code_start(code.id)
        store_response(
            Submission(
                uuid.UUID(int=rng.getrandbits(128), version=4),
                wave.id,
                code.school_id,
                code.id,
                "en",
                pupil_answers(rng, ethnicity_options),
            ),
            max_text=max_text,
        )
        if i % 500 == 499:
            db.session.commit()
    return count


def load_demo(responses: int = 0, seed: int = 2026, max_text: int = 1000) -> DemoSummary:
    """Creates whatever of the demo is missing and tops the pupil wave up to ``responses``."""
    rng = random.Random(seed)  # noqa: S311  (synthetic demo data, not a secret)
    builtin.load_all()
    schools = _schools(rng)
    pupil_wave, new_pupil = _wave(PUPIL_WAVE, "pupil-demo", Audience.PUPIL, open_link=False)
    if new_pupil:
        _set_up_pupil_wave(pupil_wave, schools, rng)
    public_wave, new_public = _wave(PUBLIC_WAVE, "public-demo", Audience.PUBLIC, open_link=True)
    if new_public:
        create_codes(public_wave, CodeKind.INVITATION, 20)
        _margins(public_wave, {"sex": {"female": 0.51, "male": 0.49}})
    db.session.flush()
    have = (
        db.session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == pupil_wave.id))
        or 0
    )
    added = add_pupil_responses(pupil_wave, max(0, responses - have), rng, max_text)
    made_staff = _demo_staff()
    _demo_release(pupil_wave)
    return DemoSummary(
        pupil_wave,
        public_wave,
        _codes(pupil_wave, CodeKind.CLASS),
        _codes(public_wave, CodeKind.INVITATION),
        added,
        made_staff,
    )


def _codes(wave: Wave, kind: CodeKind) -> list[AccessCode]:
    return [code for code in access_codes.of_wave(wave) if code.kind is kind]


def _demo_staff() -> list[tuple[str, str]]:
    """An admin and an analyst with generated passwords, made once; never fixed passwords."""
    if db.session.scalar(select(func.count()).select_from(StaffUser)):
        return []
    made = [staff.create_user(f"{role.value}@demo.invalid", role) for role in Role]
    return [(user.email, password) for user, password in made]


def _demo_release(wave: Wave) -> None:
    """One published release of the demo pupil wave, so the public page is never empty.

    Prepared by the demo analyst and published by the demo admin (four eyes), once.
    """
    if db.session.scalar(select(Release.id).where(Release.wave_id == wave.id).limit(1)):
        return
    if not db.session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)):
        return
    snapshots.weigh(wave, None)
    analyst = db.session.scalar(select(StaffUser).where(StaffUser.role == Role.ANALYST))
    admin = db.session.scalar(select(StaffUser).where(StaffUser.role == Role.ADMIN))
    draft = releases.create_draft(wave, analyst, title=f"{wave.name} ({ILLUSTRATIVE})")
    releases.publish(draft, admin)
