"""Accounts and sessions: argon2 password hashes, server-side sessions with an idle timeout and an
absolute lifetime, all in the operational store (:mod:`paragon.ops`).

A session is a random token in an HttpOnly cookie; the store keeps only its SHA-256, so a copy of
the store cannot be used to sign in. A session idle for ``Settings.session_minutes``, or older than
``Settings.session_max_hours``, is expired and deleted on its next use.

Passwords follow NIST SP 800-63B §5.1.1.2: at least ``MIN_PASSWORD`` characters (any characters,
spaces included, up to ``MAX_PASSWORD``), no composition rules, and refused when common (the
shipped list of the 30,000 commonest passwords, also with up to four digits after it), repetitive
or sequential, or built from the user name or the product name.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from paragon.errors import NotFoundError, ParagonError
from paragon.ops import OpsStore

ROLES = ("analyst", "admin")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
LAST_SEEN_EVERY = timedelta(seconds=30)
CONTEXT_WORDS = ("paragon",)
SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing stays even; made on the
    first sign-in rather than at start (hashing is deliberately slow)."""
    return _hasher.hash("not a real password, used to keep timing even")


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


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (paragon/data/SOURCES.md), lower case."""
    raw = resources.files("paragon.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("utf-8").split())


def _repetitive(text: str) -> bool:
    """One to three characters repeated ('aaaaaaaaaa', 'abcabcabca')."""
    return any(len(text) > unit and (text[:unit] * len(text))[:len(text)] == text
               for unit in (1, 2, 3))


def _sequential(text: str) -> bool:
    """A run along the alphabet, digits or keyboard, either way ('1234567890', 'zyxwvutsrq')."""
    return any(text in seq * 3 or text in seq[::-1] * 3 for seq in SEQUENCES)


def check_password(password: str, user_name: str = "") -> str:
    """The password if NIST SP 800-63B's rules allow it; otherwise a ParagonError saying why."""
    if len(password) < MIN_PASSWORD:
        raise ParagonError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ParagonError(f"a password can be at most {MAX_PASSWORD} characters")
    lowered = password.lower()
    squeezed = re.sub(r"\s+", "", lowered)
    base = re.sub(r"\d{1,4}$", "", squeezed)
    common = common_passwords()
    if squeezed in common or (base != squeezed and base in common):
        raise ParagonError("that password is on the list of commonly used passwords; "
                           "choose another (a few unrelated words make a good one)")
    if _repetitive(squeezed) or _sequential(squeezed):
        raise ParagonError("a password cannot be one repeated or sequential run of characters")
    context = [w for w in (*CONTEXT_WORDS, user_name.lower()) if len(w) >= 3]
    stripped = squeezed
    for word in context:
        stripped = stripped.replace(word, "")
    if len(re.sub(r"[\d\W_]", "", stripped)) < 4:
        raise ParagonError("a password cannot be made of the user name or the site's name "
                           "with a few digits or symbols")
    return password


def add_user(ops: OpsStore, name: str, role: str, password: str) -> User:
    check_name(name)
    check_role(role)
    check_password(password, name)
    hashed = _hasher.hash(password)
    with ops.transaction() as cur:
        if cur.execute("SELECT 1 FROM users WHERE user_name = ?", [name]):
            raise ParagonError(f"user '{name}' already exists")
        cur.execute("INSERT INTO users (user_name, role, password_hash, active, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", [name, role, hashed, True, utc_now()])
    return User(name, role)


def remove_user(ops: OpsStore, name: str) -> None:
    """Delete an account and its sessions (the demo replaces its accounts on each run)."""
    with ops.transaction() as cur:
        cur.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        cur.execute("DELETE FROM users WHERE user_name = ?", [name])


def list_users(ops: OpsStore) -> list[dict[str, Any]]:
    return ops.query(
        "SELECT user_name, role, active, created_at, updated_at FROM users ORDER BY user_name"
    )


def update_user(ops: OpsStore, name: str, *, role: str | None = None,
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
        params.append(_hasher.hash(check_password(password, name)))
    if not sets:
        return
    with ops.transaction() as cur:
        if not cur.execute("SELECT 1 FROM users WHERE user_name = ?", [name]):
            raise NotFoundError(f"no user '{name}'")
        cur.execute(f"UPDATE users SET {', '.join(sets)}, updated_at = ? WHERE user_name = ?",
                    [*params, utc_now(), name])
        if active is False or password is not None:
            cur.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def verify_login(ops: OpsStore, name: str, password: str) -> User | None:
    """The user if the name and password match an active account, else None (same work done)."""
    rows = ops.query(
        "SELECT user_name, role, password_hash, active FROM users WHERE user_name = ?", [name]
    )
    stored = rows[0]["password_hash"] if rows else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not rows or not rows[0]["active"]:
        return None
    return User(rows[0]["user_name"], rows[0]["role"])


def utc_now() -> datetime:
    """Naive UTC time: what every operational table's time columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(ops: OpsStore, user: User, idle_minutes: int = 24 * 60,
                   max_hours: int = 12) -> str:
    """A new session for the user; sessions past their idle or absolute limit are removed."""
    token = secrets.token_urlsafe(32)
    with ops.transaction() as cur:
        now = utc_now()
        cur.execute("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
                    [now - timedelta(minutes=idle_minutes), now - timedelta(hours=max_hours)])
        cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                    [digest(token), user.name, now, now])
    return token


def end_session(ops: OpsStore, token: str) -> None:
    with ops.transaction() as cur:
        cur.execute("DELETE FROM sessions WHERE session_hash = ?", [digest(token)])


@dataclass(frozen=True)
class SessionLookup:
    user: User | None
    expired: bool = False
    session_hash: str = ""


def session_user(ops: OpsStore, token: str, idle_minutes: int,
                 max_hours: int = 12) -> SessionLookup:
    """The signed-in user of a session token; an idle or too old session is expired and
    removed."""
    hashed = digest(token)
    rows = ops.query(
        "SELECT s.created_at, s.last_seen, u.user_name, u.role, u.active FROM sessions s "
        "JOIN users u ON u.user_name = s.user_name WHERE s.session_hash = ?",
        [hashed],
    )
    if not rows or not rows[0]["active"]:
        return SessionLookup(None)
    row = rows[0]
    now = utc_now()
    if (now - row["last_seen"] > timedelta(minutes=idle_minutes)
            or now - row["created_at"] > timedelta(hours=max_hours)):
        end_session(ops, token)
        return SessionLookup(None, expired=True)
    if now - row["last_seen"] > LAST_SEEN_EVERY:
        with ops.transaction() as cur:
            cur.execute("UPDATE sessions SET last_seen = ? WHERE session_hash = ?", [now, hashed])
    return SessionLookup(User(row["user_name"], row["role"]), session_hash=hashed)
