"""The API's HTTP layer on twisted.web: every refusal is an answer with a one-line JSON error,
never a dropped connection or a 500, and limits hold before anything is read.

- a request line longer than `MAX_LINE` bytes: 414; a header line that long: 431; any other
  malformed request: 400;
- a body longer than API_MAX_BODY bytes (by its Content-Length, or as it arrives when chunked):
  413 at once, before the body is read and before the token is checked, then the connection closes;
- a method the resource does not take (PUT, DELETE, OPTIONS, PATCH, ...): 405 with `Allow`.
"""

from __future__ import annotations

import json
from typing import Any

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
    """Answers an over-long request line (414) or header (431) instead of closing without a word."""

    MAX_LENGTH = MAX_LINE

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

    def __init__(self, resource: Any, max_body: int) -> None:
        super().__init__(resource)
        self.max_body = max_body


def query_arg(request: server.Request, name: bytes) -> str:
    """The first value of a query argument, "" when absent (a request Twisted parsed has `args`)."""
    args: dict[bytes, list[bytes]] = request.args or {}
    return (args.get(name) or [b""])[0].decode("utf-8", "replace")
