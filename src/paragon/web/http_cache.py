"""HTTP caching of public pages by data version.

A public page seen by someone not signed in depends only on its address, the format asked for and
the data version (the published warehouse version and the web write counter,
:meth:`WebContext.data_version`). Such a GET or HEAD gets a weak ``ETag`` naming them, and
``Cache-Control: public, no-cache``: browsers and a reverse proxy may keep the page but ask again
each time, and the answer is ``304 Not Modified`` — without computing the page — while the data is
unchanged. A new published version or a web write changes every tag, so nobody sees old figures
once the site has moved to new data.

Signed-in requests, non-public routes, responses other than 200 and responses that already carry a
``Cache-Control`` or ``ETag`` header are left alone (the security middleware then marks them
``no-store``).

Each process also keeps the tagged pages it answered (:class:`PageMemo`): the same tag asked
again, by anyone not signed in, is answered with the same bytes, without computing or rendering
the page again (a page is a function of its tag, host and scheme).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import zlib
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import paragon
from paragon.web.context import WebContext

PUBLIC_TAG = "public"
CACHE_CONTROL = b"public, no-cache"
VARY = b"Accept"
GZIP_MINIMUM = 1000  # the compression layer's minimum size (web/app.py)
GZIP_LEVEL = 5
GZIP_IN_THREAD = 128 * 1024  # larger pages are compressed off the event loop, as Starlette does
SESSION_COOKIE_NAMES = ("paragon_session=", "__Host-paragon_session=")


def _signed_in(headers: Headers) -> bool:
    cookie = headers.get("cookie", "")
    return any(name in cookie for name in SESSION_COOKIE_NAMES)


def _is_public(scope: Scope) -> bool:
    """Whether the route the request reached is a public one (known once routing has run)."""
    return PUBLIC_TAG in (getattr(scope.get("route"), "tags", None) or [])


def etag_for(scope: Scope, headers: Headers, version: tuple[int, ...], key: str) -> str:
    """The weak tag of a public page: address, format, data version, software version and day
    (a page may say 'today'), signed with the server's key so that a tag cannot be made up for
    an address the server never tagged."""
    accept = headers.get("accept", "")
    wants_json = "application/json" in accept and "text/html" not in accept
    parts = [paragon.__version__, "-".join(str(v) for v in version),
             datetime.now(UTC).date().isoformat(), scope.get("path", ""),
             scope.get("query_string", b"").decode("latin-1"), "json" if wants_json else "html"]
    digest = hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()
    return f'W/"{version[0]}-{digest[:24]}"'


def _matches(if_none_match: str, etag: str) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in wanted


class HttpCacheMiddleware:
    """ETag and Cache-Control on public pages; 304 when the browser's copy is current."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pages = PageMemo()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _signed_in(headers) or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)
            return
        ctx: WebContext = scope["app"].state.ctx
        try:
            version = await anyio.to_thread.run_sync(ctx.data_version)
        except Exception:  # no data version, no tag: the page itself reports the problem
            await self.app(scope, receive, send)
            return
        etag = etag_for(scope, headers, version, ctx.settings.require_secret())
        tag_headers = [(b"etag", etag.encode()), (b"cache-control", CACHE_CONTROL),
                       (b"vary", VARY)]
        if _matches(headers.get("if-none-match", ""), etag):
            # only a public page ever had this tag (it is signed and names the address)
            await send({"type": "http.response.start", "status": 304, "headers": tag_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        page_key = (etag, headers.get("host", ""), scope.get("scheme", ""))
        kept = self.pages.get(page_key) if scope.get("method") == "GET" else None
        if kept is not None:
            kept_headers, body = kept
            if "gzip" in headers.get("accept-encoding", "") and len(body) >= GZIP_MINIMUM:
                # compressed once per kept page, not per request (the compression layer passes
                # an answer that already names its encoding through unchanged)
                kept_headers, body = await self.pages.gzipped(page_key, kept)
            await send({"type": "http.response.start", "status": 200,
                        "headers": list(kept_headers)})
            await send({"type": "http.response.body", "body": body})
            return
        start: list[Any] | None = None  # the headers as the page sent them (outer layers
        chunks: list[bytes] = []          # such as compression change the message itself)

        async def send_tagged(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 200 \
                    and _is_public(scope):
                existing = {k.lower() for k, _ in message.get("headers", [])}
                if b"cache-control" not in existing and b"etag" not in existing:
                    message["headers"] = [*message.get("headers", []), *tag_headers]
                    start = list(message["headers"])
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.pages.keep(page_key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, send_tagged)


class PageMemo:
    """The public pages this process answered, by their tag (which names the data version, the
    address, the format and the day), the host and the scheme: a page asked again is sent as it
    was, without being computed or rendered. Only HTML and JSON pages without cookies or
    attachments are kept, at most ``entries`` of them and ``max_bytes`` in all."""

    KEPT_TYPES = (b"text/html", b"application/json", b"application/geo+json")

    def __init__(self, entries: int = 500, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries = entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self.hits = 0  # pages sent as they were kept (tests read it)
        self._pages: OrderedDict[tuple[str, str, str], tuple[list[Any], bytes]] = OrderedDict()
        self._gzipped: dict[tuple[str, str, str], tuple[list[Any], bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> tuple[list[Any], bytes] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
            return page

    async def gzipped(self, key: tuple[str, str, str],
                      page: tuple[list[Any], bytes]) -> tuple[list[Any], bytes]:
        """The kept page gzip-compressed, with its headers (encoding, length, ``Vary``); made
        once per kept page (in a thread for a large one) and kept beside it."""
        with self._lock:
            done = self._gzipped.get(key)
        if done is not None:
            return done
        headers, body = page

        def compress() -> bytes:
            packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            return packer.compress(body) + packer.flush()

        packed = compress() if len(body) < GZIP_IN_THREAD else \
            await anyio.to_thread.run_sync(compress)
        vary = b", ".join(v for k, v in headers if k.lower() == b"vary")
        out = [(k, v) for k, v in headers
               if k.lower() not in (b"content-length", b"content-encoding", b"vary")]
        out += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode()),
                (b"vary", (vary + b", " if vary else b"") + b"Accept-Encoding")]
        with self._lock:
            if key in self._pages:  # not dropped meanwhile: kept with it
                self._gzipped[key] = (out, packed)
                self._bytes += len(packed)
        return out, packed

    def keep(self, key: tuple[str, str, str], headers: list[Any], body: bytes) -> None:
        names = {k.lower() for k, _ in headers}
        kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if b"set-cookie" in names or b"content-disposition" in names \
                or not kind.startswith(self.KEPT_TYPES) or len(body) > self._max_bytes // 8:
            return
        with self._lock:
            self._drop(key)
            self._pages[key] = (headers, body)
            self._bytes += len(body)
            while self._pages and (len(self._pages) > self._entries
                                   or self._bytes > self._max_bytes):
                self._drop(next(iter(self._pages)))

    def _drop(self, key: tuple[str, str, str]) -> None:
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        packed = self._gzipped.pop(key, None)
        if packed is not None:
            self._bytes -= len(packed[1])
