"""Accounts and sessions: argon2 password hashes, server-side sessions with an idle timeout.

A session is a random token in an HttpOnly cookie; the warehouse keeps only its SHA-256, so a copy
of the warehouse file cannot be used to sign in. A session idle for ``Settings.session_minutes`` is
expired and deleted on its next use.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from paragon.errors import NotFoundError, ParagonError
from paragon.warehouse import Warehouse

ROLES = ("analyst", "admin")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
MIN_PASSWORD = 10
LAST_SEEN_EVERY = timedelta(seconds=30)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, used to keep timing even")


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Admins can do everything analysts can."""
        return self.role == "admin" or self.role == role


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ParagonError(
            "a user name is 2 to 40 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ParagonError(f"role must be one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ParagonError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def add_user(wh: Warehouse, name: str, role: str, password: str) -> User:
    check_name(name)
    check_role(role)
    check_password(password)
    hashed = _hasher.hash(password)
    with wh.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE user_name = ?", [name]).fetchall():
            raise ParagonError(f"user '{name}' already exists")
        con.execute(
            "INSERT INTO users VALUES (?, ?, ?, TRUE, ?, NULL)", [name, role, hashed, utc_now()]
        )
    return User(name, role)


def list_users(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.query(
        "SELECT user_name, role, active, created_at, updated_at FROM users ORDER BY user_name"
    )


def update_user(wh: Warehouse, name: str, *, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> None:
    sets: list[str] = []
    params: list[Any] = []
    if role is not None:
        sets.append("role = ?")
        params.append(check_role(role))
    if active is not None:
        sets.append("active = ?")
        params.append(active)
    if password is not None:
        sets.append("password_hash = ?")
        params.append(_hasher.hash(check_password(password)))
    if not sets:
        return
    with wh.transaction() as con:
        if not con.execute("SELECT 1 FROM users WHERE user_name = ?", [name]).fetchall():
            raise NotFoundError(f"no user '{name}'")
        con.execute(f"UPDATE users SET {', '.join(sets)}, updated_at = ? WHERE user_name = ?",
                    [*params, utc_now(), name])
        if active is False or password is not None:
            con.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def verify_login(wh: Warehouse, name: str, password: str) -> User | None:
    """The user if the name and password match an active account, else None (same work done)."""
    rows = wh.query(
        "SELECT user_name, role, password_hash, active FROM users WHERE user_name = ?", [name]
    )
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not rows or not rows[0]["active"]:
        return None
    return User(rows[0]["user_name"], rows[0]["role"])


def utc_now() -> datetime:
    """Naive UTC time: what every web table's TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(wh: Warehouse, user: User, idle_minutes: int = 24 * 60) -> str:
    """A new session for the user; sessions idle longer than ``idle_minutes`` are removed."""
    token = secrets.token_urlsafe(32)
    with wh.transaction() as con:
        now = utc_now()
        con.execute("DELETE FROM sessions WHERE last_seen < ?",
                    [now - timedelta(minutes=idle_minutes)])
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                    [_digest(token), user.name, now, now])
    return token


def end_session(wh: Warehouse, token: str) -> None:
    with wh.transaction() as con:
        con.execute("DELETE FROM sessions WHERE session_hash = ?", [_digest(token)])


@dataclass(frozen=True)
class SessionLookup:
    user: User | None
    expired: bool = False


def session_user(wh: Warehouse, token: str, idle_minutes: int) -> SessionLookup:
    """The signed-in user of a session token; an idle session is expired and removed."""
    digest = _digest(token)
    rows = wh.query(
        "SELECT s.last_seen, u.user_name, u.role, u.active FROM sessions s "
        "JOIN users u USING (user_name) WHERE s.session_hash = ?",
        [digest],
    )
    if not rows or not rows[0]["active"]:
        return SessionLookup(None)
    row = rows[0]
    now = utc_now()
    if now - row["last_seen"] > timedelta(minutes=idle_minutes):
        end_session(wh, token)
        return SessionLookup(None, expired=True)
    if now - row["last_seen"] > LAST_SEEN_EVERY:
        with wh.transaction() as con:
            con.execute("UPDATE sessions SET last_seen = ? WHERE session_hash = ?", [now, digest])
    return SessionLookup(User(row["user_name"], row["role"]))
