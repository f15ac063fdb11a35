"""Request-level security: who is signed in, CSRF tokens, request bodies, login rate limits, the
audit log, trusted proxies and the response headers every answer carries (docs/web.md).

One ASGI middleware (:class:`SecurityMiddleware`) wraps the whole application:

- **Proxies.** ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the addresses
  in ``PARAGON_TRUSTED_PROXIES``; the client is the right-most address not a trusted proxy.
- **Before any body is read**, a POST, PUT, PATCH or DELETE is refused when its declared size is
  over the route's limit (413), when its CSRF token is missing or wrong (403), or when the route
  needs a role the session does not have (401/403). The token comes from the ``X-CSRF-Token``
  header, the ``csrf_token`` query parameter, or the ``csrf_token`` field of a small
  ``application/x-www-form-urlencoded`` body (read with a hard cap); a multipart body must carry
  it in the header or the query. A body without a declared size is counted as it streams and cut
  off at the limit.
- **CSRF tokens are bound to the session**: the token is the HMAC-SHA256, under the secret key, of
  the browser's random CSRF id and the hash of its session cookie, so a token from another
  browser or another session is refused. Over HTTPS both cookies carry the ``__Host-`` prefix
  (Secure, Path=/, no Domain); over plain HTTP (local development) they are named without it.
- **Headers** (CSP, nosniff, frame denial, referrer policy, HSTS over HTTPS, one Cache-Control) go
  on every response, errors included; an unexpected error is answered 500 here and the
  connection stays open.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paragon.errors import ParagonError
from paragon.web.auth import SessionLookup, User, digest, session_user, utc_now
from paragon.web.context import WebContext
from paragon.web.errors import GENERIC_500, CsrfError, ServiceBusyError, TooManyAttemptsError

log = logging.getLogger("paragon.web")

SESSION_COOKIE = "paragon_session"
CSRF_COOKIE = "paragon_csrf"
HOST_PREFIX = "__Host-"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ADDRESS_FACTOR = 5  # failed logins allowed per address (any user name) = this x the per-name limit
FORM_LIMIT = 64 * 1024  # bytes of a form body, unless the route says otherwise
BODY_LIMITS = {"/admin/plan": 1_000_000 + 64 * 1024, "/admin/jobs/upload": 200 * 1024 * 1024}
ROLE_PREFIXES = (("/admin", "admin"), ("/dashboard", "analyst"), ("/measures", "analyst"),
                 ("/quality", "analyst"))
HASH_WAIT_SECONDS = 0.5
AUDIT_AGGREGATED = {"login failed"}

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


# --- cookies -------------------------------------------------------------------------------------
def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-`` names over HTTPS; browsers refuse them over plain HTTP (local development)."""
    return HOST_PREFIX + base if secure else base


def _cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, parsed leniently: a malformed cookie never hides the others."""
    jar: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar.update(cookie_parser(value.decode("latin-1")))
    return jar


def _cookie(scope: Scope, base: str) -> str:
    return _cookies(scope).get(cookie_name(base, scope.get("scheme") == "https"), "")


def session_token(request: Request) -> str:
    return _cookie(request.scope, SESSION_COOKIE)


# --- who is signed in ----------------------------------------------------------------------------
def session_lookup(request: Request) -> SessionLookup:
    cached = getattr(request.state, "session_lookup", None)
    if cached is not None:
        return cached
    token = session_token(request)
    lookup = SessionLookup(None)
    if token and len(token) < 200:
        ctx = ctx_of(request)
        lookup = session_user(ctx.ops, token, ctx.settings.session_minutes,
                              ctx.settings.session_max_hours)
    request.state.session_lookup = lookup
    return lookup


def current_user(request: Request) -> User | None:
    return session_lookup(request).user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- CSRF ----------------------------------------------------------------------------------------
def _csrf_id(request: Request) -> str:
    return str(getattr(request.state, "csrf_id", "") or _cookie(request.scope, CSRF_COOKIE))


def csrf_token_for(secret: str, csrf_id: str, session: str = "") -> str:
    """The token of a browser's CSRF id within a session (``session``: the session cookie's
    SHA-256, or empty when signed out)."""
    return hmac.new(secret.encode(), f"csrf:{csrf_id}:{session}".encode(),
                    hashlib.sha256).hexdigest()


def _session_binding(request: Request) -> str:
    if getattr(request.state, "session_ended", False):
        return ""
    token = session_token(request)
    return digest(token) if token else ""


def csrf_token(request: Request) -> str:
    return csrf_token_for(ctx_of(request).settings.require_secret(), _csrf_id(request),
                          _session_binding(request))


def _csrf_valid(request: Request, sent: str | None) -> bool:
    cookie = _cookie(request.scope, CSRF_COOKIE)
    return bool(cookie and sent and hmac.compare_digest(sent, csrf_token(request)))


CSRF_MESSAGE = ("This form has expired or did not come from this site (missing or wrong security "
                "token). Reload the page and try again.")


async def verify_csrf(request: Request) -> None:
    """Dependency of every state-changing route: the middleware checked the token before the
    body was read; refuse if it did not run."""
    if request.method in SAFE_METHODS:
        return
    if not getattr(request.state, "csrf_checked", False):
        raise CsrfError(CSRF_MESSAGE)


def new_csrf_cookie(request: Request) -> str:
    """Replace the browser's CSRF id (at sign-in and sign-out); returns the new id."""
    request.state.csrf_id = secrets.token_urlsafe(24)
    request.state.csrf_new = True
    return str(request.state.csrf_id)


# --- login rate limiting and the cap on password hashing ------------------------------------------
def limit_address(address: str) -> str:
    """The address a sign-in limit counts: an IPv6 client by its /64 (one subscriber usually
    holds a whole /64, so counting single addresses would let it try billions of times); an
    IPv4-mapped IPv6 address as IPv4."""
    try:
        ip = ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ip_network(f"{ip}/64", strict=False))
    return str(ip)


def begin_login_attempt(request: Request, user_name: str) -> int:
    """Record a sign-in attempt before the password is checked, refusing it (429) when the
    account or the address has used up its failures this minute. Counting and recording are one
    write transaction, so concurrent attempts cannot all slip under the limit."""
    ctx = ctx_of(request)
    limit = ctx.settings.login_attempts_per_minute
    now = utc_now()
    address = limit_address(client_address(request))
    with ctx.ops.transaction() as cur:
        cur.execute("DELETE FROM login_attempts WHERE attempted_at < ?",
                    [now - timedelta(days=1)])
        row = cur.execute(
            "SELECT coalesce(sum(CASE WHEN user_name = ? THEN 1 ELSE 0 END), 0) AS by_name, "
            "coalesce(sum(CASE WHEN address = ? THEN 1 ELSE 0 END), 0) AS by_address "
            "FROM login_attempts WHERE (success IS NULL OR NOT success) AND attempted_at > ? "
            "AND (user_name = ? OR address = ?)",
            [user_name, address, now - timedelta(minutes=1), user_name, address])[0]
        if row["by_name"] >= limit or row["by_address"] >= limit * ADDRESS_FACTOR:
            raise TooManyAttemptsError(
                "Too many failed sign-in attempts. Wait a minute before trying again.")
        cur.execute("INSERT INTO login_attempts (attempted_at, user_name, address, success) "
                    "VALUES (?, ?, ?, NULL)", [now, user_name[:40], address])
        attempt_id = cur.lastrowid
    assert attempt_id is not None
    return attempt_id


def finish_login_attempt(request: Request, attempt_id: int, success: bool) -> None:
    with ctx_of(request).ops.transaction() as cur:
        cur.execute("UPDATE login_attempts SET success = ? WHERE attempt_id = ?",
                    [success, attempt_id])


def cancel_login_attempt(request: Request, attempt_id: int) -> None:
    """Forget an attempt whose password was never checked (the service was busy): it is not a
    failure and must not use up the account's or the address's limit."""
    with ctx_of(request).ops.transaction() as cur:
        cur.execute("DELETE FROM login_attempts WHERE attempt_id = ?", [attempt_id])


@contextmanager
def hashing_slot(request: Request) -> Iterator[None]:
    """One of the few password checks allowed at once; 503 at once when all are taken."""
    slots: threading.BoundedSemaphore = request.app.state.hash_slots
    if not slots.acquire(timeout=HASH_WAIT_SECONDS):
        raise ServiceBusyError("The sign-in service is busy. Try again in a few seconds.")
    try:
        yield
    finally:
        slots.release()


# --- audit ---------------------------------------------------------------------------------------
def audit(request: Request, action: str, target: str | None = None, detail: str | None = None,
          *, actor: str | None = None) -> None:
    """Record who did what: logins, plan and priority changes, user changes, exports. Repeated
    failed sign-ins from one address within a minute are one entry with a count."""
    ctx = ctx_of(request)
    user = current_user(request)
    who = (actor or (user.name if user else None) or "")[:40] or None
    now = utc_now()
    address = client_address(request)
    with ctx.ops.transaction() as cur:
        if action in AUDIT_AGGREGATED:
            rows = cur.execute(
                "SELECT audit_id, target, detail FROM audit_log WHERE action = ? AND address = ? "
                "AND logged_at >= ? ORDER BY audit_id DESC LIMIT 1",
                [action, address, now.replace(second=0, microsecond=0)])
            if rows:
                names = (rows[0]["detail"] or "")
                if target and target != rows[0]["target"] and target not in names.split(", ") \
                        and len(names) < 500:
                    names = f"{names}, {target}" if names else target
                cur.execute("UPDATE audit_log SET repeats = repeats + 1, detail = ? "
                            "WHERE audit_id = ?", [names, rows[0]["audit_id"]])
                return
        cur.execute(
            "INSERT INTO audit_log (logged_at, actor, action, target, detail, address) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [now, who, action, (target or "")[:200] or None, (detail or "")[:2000], address])


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
        "path": "/" + request.url.path.lstrip("/\\"),  # never '//host': not an off-site link
    }


# --- cookies set ---------------------------------------------------------------------------------
def _cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> bytes:
    parts = [f"{cookie_name(name, secure)}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def set_session_cookie(request: Request, response: Any, token: str, *,
                       clear: bool = False) -> None:
    response.raw_headers.append((b"set-cookie", _cookie_header(
        SESSION_COOKIE, "" if clear else token, secure=is_secure(request),
        max_age=0 if clear else None)))


# --- the middleware -------------------------------------------------------------------------------
class BodyTooLargeError(ParagonError):
    status = 413


def _peer_trusted(host: str, networks: list[IPv4Network | IPv6Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in networks)


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == name]
    return ",".join(values) if values else None


def apply_proxy_headers(scope: Scope, networks: list[IPv4Network | IPv6Network]) -> None:
    """Believe X-Forwarded-For/-Proto only from a trusted proxy (``networks``)."""
    client = scope.get("client")
    if not networks or not client or not _peer_trusted(client[0], networks):
        return
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if not _peer_trusted(hop, networks):
                try:
                    ip_address(hop)
                except ValueError:
                    break
                scope["client"] = (hop, 0)
                break
    proto = _header(scope, b"x-forwarded-proto")
    if proto:
        last = proto.split(",")[-1].strip().lower()
        if last in ("http", "https"):
            scope["scheme"] = last


def _body_limit(path: str) -> int:
    return BODY_LIMITS.get(path.rstrip("/"), FORM_LIMIT)


def _required_role(path: str) -> str | None:
    for prefix, role in ROLE_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


class SecurityMiddleware:
    """Proxies, body limits, CSRF and role checks before the body, the CSRF cookie, security
    headers on every response and a 500 that keeps the connection (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app_state = getattr(scope.get("app"), "state", None)
        apply_proxy_headers(scope, getattr(app_state, "proxy_networks", []))
        state = scope.setdefault("state", {})
        if not _cookie(scope, CSRF_COOKIE):
            state["csrf_id"] = secrets.token_urlsafe(24)
            state["csrf_new"] = True
        secure = scope.get("scheme") == "https"
        path: str = scope.get("path", "")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.extend(_security_headers(path, secure, headers))
                if state.get("csrf_new"):
                    headers.append((b"set-cookie",
                                    _cookie_header(CSRF_COOKIE, state["csrf_id"], secure=secure)))
                message["headers"] = headers
            await send(message)

        try:
            if scope["method"] not in SAFE_METHODS:
                guarded = await self._guard(scope, receive, send_with_headers)
                if guarded is None:
                    return
                receive = guarded
            await self.app(scope, receive, send_with_headers)
        except BodyTooLargeError as exc:
            if started:
                raise
            await self._refuse(scope, send_with_headers, exc.message, 413)
        except Exception:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            await self._refuse(scope, send_with_headers, GENERIC_500, 500)

    async def _refuse(self, scope: Scope, send: Send, message: str, status: int) -> None:
        from paragon.web.errors import respond

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        request = Request(scope, no_body)
        response = respond(request, message, status)
        await response(scope, no_body, send)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Check size, CSRF and role before the body is read; the receive to read it with
        (capped), or None when the request was refused."""
        path: str = scope.get("path", "")
        limit = _body_limit(path)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._refuse(scope, send, "The request's Content-Length is not a number.",
                                   400)
                return None
            if size > limit:
                await self._refuse(scope, send, f"The request is too large (at most "
                                   f"{limit:,} bytes here).", 413)
                return None
        request = Request(scope, receive)
        sent = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
        body: bytes | None = None
        content_type = request.headers.get("content-type", "")
        if sent is None and content_type.startswith("application/x-www-form-urlencoded"):
            body = await _read_capped(receive, FORM_LIMIT)
            values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(CSRF_FIELD)
            sent = values[0] if values else None
        if not _csrf_valid(request, sent):
            await self._refuse(scope, send, CSRF_MESSAGE, 403)
            return None
        role = _required_role(path)
        if role is not None:
            lookup = session_lookup(request)
            if lookup.user is None:
                message = ("Your session has expired. Please sign in again." if lookup.expired
                           else "Please sign in to see this page.")
                await self._refuse(scope, send, message, 401)
                return None
            if not lookup.user.can(role):
                await self._refuse(scope, send, "Your account cannot do this.", 403)
                return None
        scope["state"]["csrf_checked"] = True
        if body is not None:
            return _replay(body)
        return _capped(receive, limit)


async def _read_capped(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"The request is too large (at most {limit:,} bytes here).")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _capped(receive: Receive, limit: int) -> Receive:
    size = 0

    async def capped() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                # an HTTPException, which FastAPI's body parsing passes on (anything else it
                # turns into 400)
                raise HTTPException(413, f"The request is too large (at most {limit:,} bytes "
                                         f"here).")
        return message

    return capped


def _security_headers(path: str, secure: bool,
                      existing: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    if not any(k.lower() == b"cache-control" for k, _ in existing):
        headers.append((b"cache-control", b"public, max-age=86400" if path.startswith("/static/")
                        else b"no-store"))
    return headers

