"""Staff accounts: argon2id hashes, a password policy, and sign-in that can be revoked."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Role, StaffUser

MIN_LENGTH, MAX_LENGTH = 12, 128
hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Checked even for unknown emails, so that sign-in takes as long either way.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


class PasswordPolicyError(SurveyError):
    pass


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, as shipped with zxcvbn."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, email: str) -> None:
    """Raises with a plain reason unless the password is long, uncommon and not guessable."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Use no more than {MAX_LENGTH} characters.")
    if password.lower() in _common_passwords():
        raise PasswordPolicyError("That password is on a list of commonly used passwords.")
    name = email.split("@")[0].lower()
    if len(name) >= 3 and name in password.lower():
        raise PasswordPolicyError("The password must not contain your email address.")
    hints = [email, *name.replace(".", " ").split(), "safer", "schools", "survey"]
    if zxcvbn(password[:MAX_LENGTH], user_inputs=hints)["score"] < 3:
        raise PasswordPolicyError("That password would be easy to guess. Try three or four unrelated words.")


def create_user(email: str, role: Role, password: str | None = None) -> tuple[StaffUser, str]:
    """Adds a staff user; generates a strong password when none is given. Returns both."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise SurveyError("Enter a valid email address.")
    if db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email)):
        raise SurveyError(f"There is already a staff user with the email {email}.")
    password = password or secrets.token_urlsafe(18)
    check_password(password, email)
    user = StaffUser(
        email=email,
        role=role,
        password_hash=hasher.hash(password),
        session_nonce=secrets.token_hex(16),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user, password


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active user with these credentials, or None; rehashes old parameters on success."""
    user = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def rotate_session(user: StaffUser) -> None:
    """A new nonce: every session made before it (on any device) stops working."""
    user.session_nonce = secrets.token_hex(16)


def load_user(session_id: str) -> StaffUser | None:
    """Flask-Login's loader: the id must carry the user's current nonce."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


def active_user(user_id: int) -> StaffUser | None:
    """The account by id, unless it was deactivated."""
    user = db.session.get(StaffUser, user_id)
    return user if user is not None and user.active else None
