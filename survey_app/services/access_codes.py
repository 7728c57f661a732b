"""Access codes: generation with a CSPRNG, normalisation of what people type, look-up, and the
rules for making and cancelling a wave's codes."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from survey_app.exceptions import AccessCodeError, SurveyError
from survey_app.extensions import db
from survey_app.models import AccessCode, CodeKind, School, Wave, WaveSchool
from survey_app.models.types import utcnow

# 32 symbols without 0/O and 1/I, so 10 characters carry 50 bits (SECURITY P-13 asks for 40).
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CLASS_LABEL_MAX = 60  # the column's width
CLASS_LABELS_AT_ONCE = 60


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    """Two groups of five, the way codes are printed and easiest to copy."""
    return f"{code[:5]}-{code[5:]}"


def normalise(typed: str) -> str:
    """What people type: lower case, spaces and dashes; nothing else is forgiven."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def create_codes(
    wave: Wave, kind: CodeKind, count: int, *, school: School | None = None, class_label: str | None = None
) -> list[AccessCode]:
    """Adds ``count`` new codes. Invitation codes are single-use; class codes are not."""
    codes = [
        AccessCode(
            wave=wave,
            school=school,
            kind=kind,
            code=new_code(),
            class_label=class_label,
            max_uses=1 if kind is CodeKind.INVITATION else None,
            uses=0,
        )
        for _ in range(count)
    ]
    db.session.add_all(codes)
    db.session.flush()
    return codes


def find_usable(typed: str) -> AccessCode:
    """The code someone typed, if it exists and can be used now; otherwise a clear error."""
    normalised = normalise(typed)
    if len(normalised) != CODE_LENGTH:
        raise AccessCodeError(
            "That code is not right. Codes have 10 letters and numbers, like "
            f"ABCDE-23456; that had {len(normalised)}."
        )
    if any(ch not in ALPHABET for ch in normalised):
        raise AccessCodeError(
            "That code is not right. Codes have 10 letters and numbers, like "
            "ABCDE-23456, and never use 0, 1, I, O or other symbols. Check "
            "each one against the code you were given."
        )
    code = db.session.scalar(select(AccessCode).where(AccessCode.code == normalised))
    if code is None:
        raise AccessCodeError("We could not find that code. Please check it and try again.")
    reason = code.unusable_reason() or code.wave.not_accepting_reason()
    if reason:
        raise AccessCodeError(reason)
    return code


def code_matches(code_id: int, typed: str) -> bool:
    """Whether someone typed the very code ``code_id`` (to end a class session on a device)."""
    code = db.session.get(AccessCode, code_id)
    return code is not None and secrets.compare_digest(code.code.encode(), normalise(typed).encode())


def class_labels(text: str) -> list[str]:
    """The class labels an admin typed, one per line; refuses what would surprise them later
    (a label cut short, the same class twice, too many at once) rather than changing it."""
    labels = [line.strip() for line in text.splitlines() if line.strip()]
    if not labels:
        raise SurveyError("Give at least one class label, one per line (for example 8X).")
    if len(labels) > CLASS_LABELS_AT_ONCE:
        raise SurveyError(
            f"Give at most {CLASS_LABELS_AT_ONCE} class labels at a time; there were {len(labels)}."
        )
    too_long = [label for label in labels if len(label) > CLASS_LABEL_MAX]
    if too_long:
        raise SurveyError(
            f"Class labels can be up to {CLASS_LABEL_MAX} characters; shorten "
            f"'{too_long[0][:CLASS_LABEL_MAX]}…'."
        )
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise SurveyError(f"Each class needs one code: {', '.join(repeated)} is listed twice.")
    return labels


def make_class_codes(wave: Wave, school: School, labels: list[str]) -> list[AccessCode]:
    """One code per class of a school taking part; a class that already has a working code
    is refused by name (cancel the old code first), so a second code never appears unnoticed."""
    if not db.session.scalar(
        select(WaveSchool.id).where(WaveSchool.wave_id == wave.id, WaveSchool.school_id == school.id)
    ):
        raise SurveyError(f"{school.name} is not taking part in this wave.")
    existing = set(
        db.session.scalars(
            select(AccessCode.class_label).where(
                AccessCode.wave_id == wave.id,
                AccessCode.school_id == school.id,
                AccessCode.revoked_at.is_(None),
                AccessCode.class_label.in_(labels),
            )
        )
    )
    if existing:
        raise SurveyError(
            f"{school.name} already has a code for {', '.join(sorted(existing))}. "
            "Cancel the old code first if you need a new one."
        )
    return [create_codes(wave, CodeKind.CLASS, 1, school=school, class_label=label)[0] for label in labels]


def revoke(code: AccessCode) -> None:
    code.revoked_at = code.revoked_at or utcnow()


def of_wave(wave: Wave) -> list[AccessCode]:
    return list(
        db.session.scalars(
            select(AccessCode)
            .where(AccessCode.wave_id == wave.id)
            .order_by(AccessCode.school_id, AccessCode.id)
        )
    )


def sheet(wave: Wave, school: School) -> list[AccessCode] | None:
    """The working codes to print for one school, or ``None`` when it is not in the wave."""
    if not db.session.scalar(
        select(WaveSchool.id).where(WaveSchool.wave_id == wave.id, WaveSchool.school_id == school.id)
    ):
        return None
    return list(
        db.session.scalars(
            select(AccessCode)
            .where(
                AccessCode.wave_id == wave.id,
                AccessCode.school_id == school.id,
                AccessCode.revoked_at.is_(None),
            )
            .order_by(AccessCode.class_label)
        )
    )
