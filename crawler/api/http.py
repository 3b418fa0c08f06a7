"""The API's HTTP layer on twisted.web: every refusal is an answer with a one-line JSON error,
never a dropped connection or a 500, and limits hold before anything is read.

- a request line longer than `MAX_LINE` bytes: 414; a header line that long: 431; any other
  malformed request: 400;
- a body longer than API_MAX_BODY bytes (by its Content-Length, or as it arrives when chunked):
  413 at once, before the body is read and before the token is checked, then the connection closes;
- a method the resource does not take (PUT, DELETE, OPTIONS, PATCH, ...): 405 with `Allow`;
- headers that have not all come API_HEADER_TIMEOUT seconds after the connection opened (or the
  last answer on it was sent): 408, then the connection closes; an idle kept-alive connection
  just closes (a client that sends a header line every few seconds is not held for minutes);
- a connection past API_MAX_CONNECTIONS open at once: 503 at once, then it closes.
Lines may end with a bare LF as well as CRLF (RFC 9112 allows it; netcat and hand-written
scripts send it): such a request gets its answer instead of a wait for a CR that never comes.
"""

from __future__ import annotations

import json
from typing import Any, cast

from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web import http, resource, server

MAX_LINE = 16384  # bytes in the request line or one header line (twisted.web's own limit)


def error_body(code: int, message: str) -> bytes:
    return (
        json.dumps({"status": "error", "code": code, "message": message}, ensure_ascii=False) + "\n"
    ).encode()


def raw_error(transport: Any, code: int, message: str) -> None:
    """Answer on the bare connection (no request object to answer with yet), then close it."""
    body = error_body(code, message)
    reason = http.RESPONSES.get(code, b"Error")
    transport.write(
        b"HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (code, reason, len(body), body)
    )
    transport.loseConnection()


class _Discard:
    """Where the body of a refused request goes."""

    def write(self, data: bytes) -> None:
        pass

    def seek(self, *args: Any) -> None:
        pass

    def read(self, *args: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass


class LimitedRequest(server.Request):
    """A request whose body may not pass the site's `max_body` bytes."""

    refused = False
    received = 0

    @property
    def max_body(self) -> int:
        return int(self.channel.site.max_body)  # type: ignore[attr-defined]  # Site.buildProtocol sets .site

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
        if length is not None and length > self.max_body:
            self._refuse_body()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        self.received += len(data)
        if self.refused:
            return
        if self.received > self.max_body:
            self._refuse_body()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        if not self.refused:
            super().requestReceived(command, path, version)

    def render(self, resrc: Any) -> None:
        """A method the resource has no render_ method for is a one-line JSON 405 with `Allow`
        (Twisted answers an HTML page, or "501 Huh?" for a resource that lists no methods)."""
        allowed = list(getattr(resrc, "allowedMethods", None) or resource._computeAllowedMethods(resrc))
        if set(allowed) - {b"HEAD"}:  # none (Resource's own HEAD aside): it takes any method (a 404)
            if b"GET" in allowed and b"HEAD" not in allowed:
                allowed.append(b"HEAD")
            if self.method not in allowed:
                body = error_body(405, f"{self.method.decode('latin-1')} is not allowed here")
                self.setResponseCode(http.NOT_ALLOWED)
                self.setHeader(b"Allow", b", ".join(allowed))
                self.setHeader(b"Content-Type", b"application/json; charset=utf-8")
                self.setHeader(b"Content-Length", b"%d" % len(body))
                self.write(body)
                self.finish()
                return
        super().render(resrc)

    def _refuse_body(self) -> None:
        self.refused = True
        self.content = _Discard()  # type: ignore[assignment]  # a file-like sink; the stubs say None
        raw_error(self.channel.transport, 413, f"the body is larger than API_MAX_BODY={self.max_body} bytes")


class LimitedChannel(http.HTTPChannel):
    """Answers an over-long request line (414) or header (431) instead of closing without a word,
    holds a header deadline and the site's cap on connections, and reads bare-LF lines."""

    MAX_LENGTH = MAX_LINE
    delimiter = b"\n"  # each line's CR, when it has one, is taken off in lineReceived
    headers_due: Any = None  # the deadline's delayed call while headers are awaited
    lost = False

    @property
    def api(self) -> ApiSite:
        return cast(ApiSite, self.site)  # type: ignore[attr-defined]  # Site.buildProtocol sets .site

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's name
        super().connectionMade()
        site = self.api
        site.open += 1
        if site.open > site.max_connections:
            raw_error(
                self.transport, 503, f"too many connections open (API_MAX_CONNECTIONS={site.max_connections})"
            )
            return
        self._await_headers()

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802 - Twisted's name
        self.lost = True
        self.api.open -= 1
        self._headers_came()
        super().connectionLost(reason)

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's name
        super().lineReceived(line[:-1] if line.endswith(b"\r") else line)

    def allHeadersReceived(self) -> None:  # noqa: N802 - Twisted's name
        self._headers_came()
        super().allHeadersReceived()

    def requestDone(self, request: Any) -> None:  # noqa: N802 - Twisted's name
        super().requestDone(request)
        if self.persistent and not self.lost:
            self._await_headers()  # the next request on this connection

    def _await_headers(self) -> None:
        from twisted.internet import reactor  # the one installed by now

        self._headers_came()
        self.headers_due = reactor.callLater(self.api.header_timeout, self._headers_late)

    def _headers_came(self) -> None:
        if self.headers_due is not None and self.headers_due.active():
            self.headers_due.cancel()
        self.headers_due = None

    def _headers_late(self) -> None:
        self.headers_due = None
        if self._receivedHeaderSize == 0 and not self.requests:  # idle between requests: just close
            self.loseConnection()
            return
        timeout = self.api.header_timeout
        raw_error(
            self.transport, 408, f"the request's headers did not come within API_HEADER_TIMEOUT={timeout:g} s"
        )

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802 - Twisted's name
        if self._receivedHeaderSize == 0:  # nothing of this request read yet: it is the request line
            raw_error(self.transport, 414, f"the request line is longer than {MAX_LINE} bytes")
        else:
            raw_error(self.transport, 431, f"a header line is longer than {MAX_LINE} bytes")

    def _respondToBadRequestAndDisconnect(self) -> None:  # noqa: N802 - Twisted's name
        raw_error(self.transport, 400, "malformed HTTP request")


class ApiSite(server.Site):
    requestFactory = LimitedRequest
    protocol = LimitedChannel  # type: ignore[assignment]  # an HTTPChannel, as Site's own default

    def __init__(self, resource: Any, max_body: int, header_timeout: float, max_connections: int) -> None:
        super().__init__(resource)
        self.max_body = max_body
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.open = 0  # connections open now


def query_arg(request: server.Request, name: bytes) -> str:
    """The first value of a query argument, "" when absent (a request Twisted parsed has `args`)."""
    args: dict[bytes, list[bytes]] = request.args or {}
    return (args.get(name) or [b""])[0].decode("utf-8", "replace")
