"""Request-level security: who is signed in, CSRF tokens, login rate limits, the audit log and the
response headers every page carries.

CSRF: each browser gets a random ``paragon_csrf`` cookie (HttpOnly, SameSite=Lax); a form's token is
the HMAC-SHA256 of that cookie under the server's secret key (a signed double-submit cookie). Every
POST, PUT, PATCH or DELETE must carry the token in the ``csrf_token`` form field or the
``X-CSRF-Token`` header; the cookie is replaced at sign-in and sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paragon.web.auth import SessionLookup, User, session_user, utc_now
from paragon.web.context import WebContext
from paragon.web.errors import CsrfError, TooManyAttemptsError

SESSION_COOKIE = "paragon_session"
CSRF_COOKIE = "paragon_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ADDRESS_FACTOR = 5  # failed logins allowed per address (any user name) = this x the per-name limit

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def ctx_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


# --- who is signed in ----------------------------------------------------------------------------
def session_lookup(request: Request) -> SessionLookup:
    cached = getattr(request.state, "session_lookup", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    lookup = SessionLookup(None)
    if token and len(token) < 200:
        ctx = ctx_of(request)
        lookup = session_user(ctx.warehouse, token, ctx.settings.session_minutes)
    request.state.session_lookup = lookup
    return lookup


def current_user(request: Request) -> User | None:
    return session_lookup(request).user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- CSRF ----------------------------------------------------------------------------------------
def _csrf_id(request: Request) -> str:
    return str(getattr(request.state, "csrf_id", "") or request.cookies.get(CSRF_COOKIE, ""))


def csrf_token_for(secret: str, csrf_id: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{csrf_id}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    return csrf_token_for(ctx_of(request).settings.require_secret(), _csrf_id(request))


async def verify_csrf(request: Request) -> None:
    """Dependency: refuse a state-changing request without a valid token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfError(
            "This form has expired or did not come from this site (missing or wrong security "
            "token). Reload the page and try again."
        )


def new_csrf_cookie(request: Request) -> str:
    """Replace the browser's CSRF id (at sign-in and sign-out); returns the new id."""
    request.state.csrf_id = secrets.token_urlsafe(24)
    request.state.csrf_new = True
    return str(request.state.csrf_id)


# --- login rate limiting --------------------------------------------------------------------------
def check_login_rate(request: Request, user_name: str) -> None:
    ctx = ctx_of(request)
    limit = ctx.settings.login_attempts_per_minute
    since = utc_now() - timedelta(minutes=1)
    address = client_address(request)
    row = ctx.warehouse.query(
        "SELECT count(*) FILTER (WHERE user_name = ?) AS by_name, count(*) AS by_address "
        "FROM login_attempts WHERE NOT success AND address = ? AND attempted_at > ?",
        [user_name, address, since],
    )[0]
    if row["by_name"] >= limit or row["by_address"] >= limit * ADDRESS_FACTOR:
        raise TooManyAttemptsError(
            "Too many failed sign-in attempts. Wait a minute before trying again."
        )


def record_login_attempt(request: Request, user_name: str, success: bool) -> None:
    ctx = ctx_of(request)
    with ctx.warehouse.transaction() as con:
        con.execute("INSERT INTO login_attempts VALUES (?, ?, ?, ?)",
                    [utc_now(), user_name[:40], client_address(request), success])
        con.execute("DELETE FROM login_attempts WHERE attempted_at < ?",
                    [utc_now() - timedelta(days=1)])


# --- audit ---------------------------------------------------------------------------------------
def audit(request: Request, action: str, target: str | None = None, detail: str | None = None,
          *, actor: str | None = None) -> None:
    """Record who did what: logins, plan and priority changes, user changes, exports."""
    ctx = ctx_of(request)
    user = current_user(request)
    who = actor or (user.name if user else None)
    with ctx.warehouse.transaction() as con:
        con.execute(
            "INSERT INTO audit_log VALUES (nextval('audit_id_seq'), ?, ?, ?, ?, ?, ?)",
            [utc_now(), who, action, target, (detail or "")[:2000], client_address(request)],
        )


# --- what every template gets ---------------------------------------------------------------------
def template_context(request: Request) -> dict[str, Any]:
    ctx = ctx_of(request)
    lookup = session_lookup(request)
    return {
        "request": request,
        "user": lookup.user,
        "csrf_token": csrf_token(request),
        "is_demo": ctx.is_demo,
        "force_name": ctx.plan().force_name,
        "path": request.url.path,
    }


# --- headers and the CSRF cookie ------------------------------------------------------------------
def _cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def session_cookie(token: str, *, secure: bool, clear: bool = False) -> bytes:
    return _cookie_header(SESSION_COOKIE, "" if clear else token, secure=secure,
                          max_age=0 if clear else None)


class SecurityHeadersMiddleware:
    """Sets the CSRF cookie when a browser has none, and security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if not _cookie_value(scope, CSRF_COOKIE):
            state["csrf_id"] = secrets.token_urlsafe(24)
            state["csrf_new"] = True
        secure = scope.get("scheme") == "https"
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_security_headers(path, secure))
                if state.get("csrf_new"):
                    headers.append((b"set-cookie",
                                    _cookie_header(CSRF_COOKIE, state["csrf_id"], secure=secure)))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if name in jar:
                return jar[name].value
    return None


def _security_headers(path: str, secure: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    if path.startswith("/static/"):
        headers.append((b"cache-control", b"public, max-age=86400"))
    else:
        headers.append((b"cache-control", b"no-store"))
    return headers
