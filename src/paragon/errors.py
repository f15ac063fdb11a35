"""Typed errors. The CLI turns a :class:`ParagonError` into one readable line and exit code 1; the
web turns it into the one JSON error envelope. Anything else is a bug and is reported as such."""

from __future__ import annotations


class ParagonError(Exception):
    """A problem the user can fix: bad input, a missing file, an unknown measure."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ParagonError):
    """Something named by the user does not exist (a measure, an LPU, a year)."""

    status = 404


class PlanError(ParagonError):
    """A plan file that does not validate; the message names the file, line and reason."""

    status = 422


class IngestError(ParagonError):
    """A file that cannot be ingested at all (unreadable, unknown format, wrong header)."""

    status = 422


class PermissionDeniedError(ParagonError):
    """The current user may not do this."""

    status = 403
