"""Who may use the admin area: inviting people, their roles, removing them.

Each change is written to the audit log in the same transaction. The rules that keep the
admin area usable (nobody changes or removes themselves; there is always an admin) are
checked in the statement that makes the change, so two admins acting at once cannot
break them between a check and a write.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, exists, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.mail.notifications import site_url
from app.mail.outbox import queue_email
from app.models import ADMIN, OFFICER, AdminUser, admin_with_email, record_audit
from app.runtime import clock

INVITATION_LASTS = timedelta(hours=72)
ROLE_NAMES = {ADMIN: "Admin", OFFICER: "Officer"}
ROLE_DESCRIPTIONS = {
    ADMIN: "can change consultations and users",
    OFFICER: "can read, tag and export responses",
}


@cache
def _stand_in_hash() -> str:
    """A hash made as real ones are, to check passwords against when there is no account."""
    return generate_password_hash(uuid.uuid4().hex)


def authenticate(email: str, password: str) -> AdminUser | None:
    """The user with this address and password, or None.

    Exactly one password hash is checked whether or not the address has an account (or a
    password yet), so the time a wrong sign-in takes does not tell which addresses exist.
    """
    user = admin_with_email(email)
    stored = user.password_hash if user is not None and user.has_password else ""
    matches = check_password_hash(stored or _stand_in_hash(), password)
    return user if stored and matches else None


class Refused(Exception):
    """A change the rules do not allow; the message tells the admin why."""


class LinkExpired(Exception):
    """A set-password link that is too old, already used, or for someone since removed."""


class LinkBroken(Exception):
    """A set-password link that this site did not make (altered, or cut short)."""


# Set-password links


class ClockSigner(TimestampSigner):
    """Dates signatures by the application's clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="set-password", signer=ClockSigner
    )


def _fingerprint(user: AdminUser) -> str:
    """Stands for the user's session token in a link, which anyone reading it could see."""
    return hashlib.sha256(user.session_token.encode()).hexdigest()[:32]


def password_token(user: AdminUser) -> str:
    """A signed token for the user's set-password link.

    It names the user's current session token, which setting a password (or a new
    invitation) changes: so the link works once, and only the newest one works.
    """
    return _serializer().dumps({"user": user.id, "session": _fingerprint(user)})


def user_for_token(token: str) -> AdminUser:
    """The user a set-password link is for, while it is still good."""
    try:
        data = _serializer().loads(token, max_age=int(INVITATION_LASTS.total_seconds()))
    except SignatureExpired:
        raise LinkExpired from None
    except BadData:
        raise LinkBroken from None
    # The signature proves this site made the data, so its shape can be trusted.
    user = db.session.get(AdminUser, data["user"])
    if user is None or data["session"] != _fingerprint(user):
        raise LinkExpired
    return user


def set_password_from_link(user: AdminUser, password: str) -> None:
    """Set the password of the user a link is for; refuse if the link was used meanwhile.

    The first statement locks the user's row while it still has the token the link was
    made for, so two submissions of one link (a double tap) cannot both set a password.
    """
    seen = user.session_token
    claimed = db.session.execute(
        update(AdminUser)
        .where(AdminUser.id == user.id, AdminUser.session_token == seen)
        .values(session_token=seen)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise LinkExpired
    user.set_password(password)
    record_audit(user.email, "set_password", None, "Chose a password from an invitation")
    db.session.commit()


# Inviting


def _queue_invitation(user: AdminUser, inviter: str, now: datetime) -> None:
    """Queue the email with the set-password link; each invitation is its own event."""
    queue_email(
        event_key=f"invite:{user.id}:{uuid.uuid4().hex}",
        kind="invite",
        to=user.email,
        template="invite",
        context={
            "user": user,
            "inviter": inviter,
            "role_name": ROLE_NAMES[user.role].lower(),
            "role_description": ROLE_DESCRIPTIONS[user.role],
            "link": site_url("admin.set_password", token=password_token(user)),
            "expires_at": now + INVITATION_LASTS,
            "sign_in_url": site_url("admin.login"),
        },
        now=now,
    )


def find_by_email(email: str) -> AdminUser | None:
    """The user with this email address, whatever its case."""
    return admin_with_email(email)


def add_user(email: str, role: str, actor: str, now: datetime) -> AdminUser:
    """Add someone with no password yet and queue their invitation."""
    if find_by_email(email):
        raise Refused("There is already a user with this email address")
    user = AdminUser(email=email, role=role, password_hash="", created_at=now)
    db.session.add(user)
    try:
        db.session.flush()  # the id, for the link
    except IntegrityError:
        db.session.rollback()  # the same address added a moment ago by someone else
        raise Refused("There is already a user with this email address") from None
    _queue_invitation(user, actor, now)
    record_audit(actor, "add_user", None, f"Added {email} as {role}")
    db.session.commit()
    return user


def resend_invitation(user: AdminUser, actor: str, now: datetime) -> None:
    """A new invitation for someone who has not chosen a password; earlier links stop working."""
    if user.has_password:
        raise Refused(f"{user.email} has already chosen a password")
    user.end_sessions()
    _queue_invitation(user, actor, now)
    record_audit(actor, "resend_invitation", None, f"Sent a new invitation to {user.email}")
    db.session.commit()


# Roles and removal


def _lock_admins() -> None:
    """On PostgreSQL, make a concurrent role change or removal wait for this one.

    SQLite ignores FOR UPDATE, but there the change is a single statement under its
    database lock, so the rule checked inside it holds anyway.
    """
    db.session.execute(select(AdminUser.id).where(AdminUser.role == ADMIN).with_for_update())


def _another_admin(user_id: int):
    other = aliased(AdminUser)
    return exists().where(other.role == ADMIN, other.id != user_id)


def change_role(user: AdminUser, role: str, actor: AdminUser) -> bool:
    """Make someone an admin or an officer. Returns whether anything changed."""
    if user.id == actor.id:
        raise Refused("You cannot change your own role. Ask another admin to do it")
    old, email = user.role, user.email
    if old == role:
        return False
    _lock_admins()
    keeps_an_admin = _another_admin(user.id) if old == ADMIN else true()
    changed = db.session.execute(
        update(AdminUser)
        .where(AdminUser.id == user.id, AdminUser.role == old, keeps_an_admin)
        .values(role=role)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        current = db.session.get(AdminUser, user.id)
        if current is None:
            raise Refused(f"{email} has been removed")
        if current.role == role:
            return False  # someone else made the same change a moment ago
        raise Refused(f"{email} is the only admin. Make someone else an admin first")
    record_audit(actor.email, "change_role", None, f"Changed {email} from {old} to {role}")
    db.session.commit()
    return True


def remove_user(user: AdminUser, actor: AdminUser) -> None:
    """Delete someone's account; the user loader then finds nothing, ending their sessions.

    Audit events name people by email, so past events keep who did what.
    """
    if user.id == actor.id:
        raise Refused("You cannot remove yourself. Ask another admin to do it")
    email, role = user.email, user.role
    _lock_admins()
    removed = db.session.execute(
        delete(AdminUser)
        .where(AdminUser.id == user.id, (AdminUser.role != ADMIN) | _another_admin(user.id))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not removed:
        db.session.rollback()
        if db.session.get(AdminUser, user.id) is None:
            raise Refused(f"{email} has already been removed")
        raise Refused(f"{email} is the only admin. Make someone else an admin first")
    record_audit(actor.email, "remove_user", None, f"Removed {email} ({role})")
    db.session.commit()
