"""Signing in and out. Each attempt is recorded before the password is checked and refused beyond
the per-account and per-address limits; only a few password checks run at once; every sign-in,
failed sign-in (grouped per address and minute) and sign-out is in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paragon.web.auth import create_session, end_session, verify_login
from paragon.web.deps import Ctx
from paragon.web.errors import ServiceBusyError, envelope
from paragon.web.render import page, wants_json
from paragon.web.routes.public import Responses
from paragon.web.security import (
    audit,
    begin_login_attempt,
    cancel_login_attempt,
    finish_login_attempt,
    hashing_slot,
    new_csrf_cookie,
    session_token,
    set_session_cookie,
    verify_csrf,
)

router = APIRouter(tags=["sign-in"])
FORM_PAGE: Responses = {200: {"content": {"text/html": {}, "application/json": {}},
                   "description": "The sign-in page."}}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect) or a scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target


@router.get("/login", responses=FORM_PAGE, summary="The sign-in form")
def login_form(request: Request,
               next: Annotated[str, Query(max_length=500)] = "/dashboard",
               expired: Annotated[bool, Query()] = False) -> Response:
    message = "Your session has expired. Please sign in again." if expired else None
    return page(request, "login", {"next": safe_next(next), "message": message, "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)], summary="Sign in",
             responses={303: {"description": "Signed in"}, 401: {"description": "Refused"}})
def login(request: Request, ctx: Ctx,
          user_name: Annotated[str, Form(max_length=40)],
          password: Annotated[str, Form(max_length=200)],
          next: Annotated[str, Form(max_length=500)] = "/dashboard") -> Response:
    name = user_name.strip().lower()[:40]
    attempt = begin_login_attempt(request, name)
    try:
        with hashing_slot(request):
            user = verify_login(ctx.ops, name, password)
    except ServiceBusyError:
        cancel_login_attempt(request, attempt)
        raise
    finish_login_attempt(request, attempt, user is not None)
    if user is None:
        audit(request, "login failed", name)  # by nobody yet: the name tried is the target
        message = "That user name and password do not match an account."
        if wants_json(request):
            return JSONResponse(envelope(message, 401), status_code=401)
        return page(request, "login", {"next": safe_next(next), "message": None,
                                       "error": message}, status=401)
    token = create_session(ctx.ops, user, ctx.settings.session_minutes,
                           ctx.settings.session_max_hours)
    audit(request, "login", user.name, f"role {user.role}", actor=user.name)
    response: Response
    if wants_json(request):
        response = JSONResponse({"ok": True, "user": user.name, "role": user.role})
    else:
        response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    new_csrf_cookie(request)
    return response


@router.post("/logout", dependencies=[Depends(verify_csrf)], summary="Sign out",
             responses={303: {"description": "Signed out"}})
def logout(request: Request, ctx: Ctx) -> Response:
    token = session_token(request)
    if token:
        audit(request, "logout")
        end_session(ctx.ops, token)
    request.state.session_ended = True
    response: Response = (JSONResponse({"ok": True}) if wants_json(request)
                          else RedirectResponse("/", status_code=303))
    set_session_cookie(request, response, "", clear=True)
    new_csrf_cookie(request)
    return response
