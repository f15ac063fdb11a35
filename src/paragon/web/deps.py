"""Role checks, in one place: FastAPI dependencies every analyst and admin route declares.

``Analyst`` and ``Admin`` are ``Annotated`` aliases: a route that takes ``user: Analyst`` can only
be reached by a signed-in analyst or admin. The public gets 401 (JSON) or the sign-in page (HTML); a
signed-in user without the role gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from paragon.errors import PermissionDeniedError
from paragon.web.auth import User
from paragon.web.context import WebContext
from paragon.web.errors import LoginRequiredError
from paragon.web.security import ctx_of, session_lookup


def get_ctx(request: Request) -> WebContext:
    return ctx_of(request)


def _signed_in(request: Request) -> User:
    lookup = session_lookup(request)
    if lookup.user is None:
        if lookup.expired:
            raise LoginRequiredError("Your session has expired. Please sign in again.",
                                     expired=True)
        raise LoginRequiredError("Please sign in to see this page.")
    return lookup.user


def require_analyst(request: Request) -> User:
    user = _signed_in(request)
    if not user.can("analyst"):
        raise PermissionDeniedError("Your account cannot see analyst pages.")
    return user


def require_admin(request: Request) -> User:
    user = _signed_in(request)
    if not user.can("admin"):
        raise PermissionDeniedError("Only administrators can do this.")
    return user


Ctx = Annotated[WebContext, Depends(get_ctx)]
Analyst = Annotated[User, Depends(require_analyst)]
Admin = Annotated[User, Depends(require_admin)]
