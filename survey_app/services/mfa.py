"""Staff second factor (SECURITY P-15): TOTP from any authenticator app, with one-time
recovery codes for a lost phone. A code is accepted once: replaying one is refused."""

from __future__ import annotations

import base64
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg
from argon2.exceptions import VerifyMismatchError

from survey_app.models import StaffUser
from survey_app.services.staff import hasher

ISSUER = "Safer Schools Surveys"
RECOVERY_CODES = 10
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def qr_data_uri(user: StaffUser, secret: str) -> str:
    """The enrolment QR code as an SVG data URI (an <img>, so the CSP needs no inline style)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    out = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The 30-second step (now, or one either side for clock drift) that ``code`` is for."""
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _clean(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def enrol(user: StaffUser, secret: str, code: str, now: float | None = None) -> list[str] | None:
    """Sets the secret if ``code`` proves the app has it; returns new recovery codes, shown once."""
    step = _matching_step(secret, _clean(code), now or time.time())
    if step is None:
        return None
    user.totp_secret, user.totp_last_step = secret, step
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [hasher.hash(c.replace("-", "")) for c in codes]
    return codes


def verify(user: StaffUser, code: str, now: float | None = None) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then spent)."""
    cleaned = _clean(code)
    if user.totp_secret and cleaned.isdigit() and len(cleaned) == 6:
        step = _matching_step(user.totp_secret, cleaned, now or time.time())
        if step is not None and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
        return False
    for stored in user.recovery_codes or []:
        try:
            hasher.verify(stored, cleaned)
        except VerifyMismatchError:
            continue
        user.recovery_codes = [c for c in user.recovery_codes if c != stored]
        return True
    return False
