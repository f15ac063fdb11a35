"""One error shape for the whole web: ``{"ok": false, "error": ..., "status": ...}``.

Typed exceptions (:mod:`paragon.errors` and the few web-only ones below) carry their HTTP status;
one handler turns any of them, FastAPI's validation errors and Starlette's HTTP errors into that
envelope (JSON) or into the error page (HTML). Anything else is a bug: it is logged with its
traceback and the user sees a short generic message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paragon.errors import ParagonError, PermissionDeniedError

log = logging.getLogger("paragon.web")

GENERIC_500 = "Something went wrong on our side. The error has been logged; please try again later."


class LoginRequiredError(ParagonError):
    """The page needs a signed-in user (``expired``: the user's session timed out)."""

    status = 401

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class CsrfError(PermissionDeniedError):
    """A form arrived without a valid CSRF token."""


class TooManyAttemptsError(ParagonError):
    """Too many failed logins from this address for this user name."""

    status = 429


class ServiceBusyError(ParagonError):
    """Too many password checks at once: try again shortly."""

    status = 503


def envelope(message: str, status: int) -> dict[str, Any]:
    return {"ok": False, "error": message, "status": status}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "invalid request: " + "; ".join(parts)


def respond(request: Request, message: str, status: int, *, expired: bool = False) -> Response:
    from paragon.web.render import render_error, wants_json

    if status == 401 and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        flag = "&expired=1" if expired else ""
        return RedirectResponse(f"/login?next={_quote(target)}{flag}", status_code=303)
    if wants_json(request):
        return JSONResponse(envelope(message, status), status_code=status)
    return render_error(request, message, status)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def install_error_handlers(app: FastAPI) -> None:
    """Register the one handler for every kind of error."""

    @app.exception_handler(ParagonError)
    async def paragon_error(request: Request, exc: ParagonError) -> Response:
        expired = isinstance(exc, LoginRequiredError) and exc.expired
        response = respond(request, exc.message, exc.status, expired=expired)
        if isinstance(exc, ServiceBusyError | TooManyAttemptsError):
            response.headers["retry-after"] = "5" if isinstance(exc, ServiceBusyError) else "60"
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, _validation_message(exc), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = "There is no page at this address."
        elif exc.status_code == 405:
            message = "This address does not accept that method."
        response = respond(request, message, exc.status_code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, GENERIC_500, 500)
