"""Access codes: generation with a CSPRNG, normalisation of what people type, and look-up."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from survey_app.exceptions import AccessCodeError
from survey_app.extensions import db
from survey_app.models import AccessCode, CodeKind, School, Wave

# 32 symbols without 0/O and 1/I, so 10 characters carry 50 bits (SECURITY P-13 asks for 40).
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    """Two groups of five, the way codes are printed and easiest to copy."""
    return f"{code[:5]}-{code[5:]}"


def normalise(typed: str) -> str:
    """What people type: lower case, spaces and dashes; nothing else is forgiven."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def create_codes(wave: Wave, kind: CodeKind, count: int, *, school: School | None = None,
                 class_label: str | None = None) -> list[AccessCode]:
    """Adds ``count`` new codes. Invitation codes are single-use; class codes are not."""
    codes = [
        AccessCode(wave=wave, school=school, kind=kind, code=new_code(), class_label=class_label,
                   max_uses=1 if kind is CodeKind.INVITATION else None, uses=0)
        for _ in range(count)
    ]
    db.session.add_all(codes)
    db.session.flush()
    return codes


def find_usable(typed: str) -> AccessCode:
    """The code someone typed, if it exists and can be used now; otherwise a clear error."""
    normalised = normalise(typed)
    if len(normalised) != CODE_LENGTH or any(ch not in ALPHABET for ch in normalised):
        raise AccessCodeError(
            "That code is not right. Codes have 10 letters and numbers, like ABCDE-23456.")
    code = db.session.scalar(select(AccessCode).where(AccessCode.code == normalised))
    if code is None:
        raise AccessCodeError("We could not find that code. Please check it and try again.")
    reason = code.unusable_reason() or code.wave.not_accepting_reason()
    if reason:
        raise AccessCodeError(reason)
    return code
