"""The API's one token check. Every endpoint takes `Authorization: Bearer <API_TOKEN>`; the
dashboard's read-only pages also take the session cookie that opening one of them once with
`?token=` sets. The cookie never holds the token: it holds its expiry and an HMAC of that expiry
keyed by the token (Django's signed cookies, Flask's sessions), so it opens the pages it was made
for until it expires, and nothing once the token changes. /fetch, /history, /health and /metrics
take the header only: a cookie a browser sends by itself never fetches through the API."""

from __future__ import annotations

import hashlib
import hmac

from twisted.web.server import Request

SESSION_COOKIE = b"crawler_session"
PURPOSE = b"crawler dashboard session|"  # what the HMAC is of, besides the expiry


def matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def session(token: str, expires: int) -> str:
    """The cookie's value for a session that ends at `expires` (a Unix time)."""
    mac = hmac.new(token.encode(), PURPOSE + str(expires).encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def valid_session(value: str, token: str, now: float) -> bool:
    expires, _, _ = value.partition(".")
    return (
        expires.isdigit() and int(expires) > now and hmac.compare_digest(value, session(token, int(expires)))
    )


def bearer(request: Request) -> str:
    scheme, _, given = (request.getHeader("authorization") or "").strip().partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""  # the scheme is case-insensitive (RFC 9110)


def authorised(request: Request, token: str | None, now: float | None = None) -> bool:
    """The header; and when `now` is given (a dashboard page), a session cookie valid then."""
    if not token:
        return True
    if matches(bearer(request), token):
        return True
    cookie = (request.getCookie(SESSION_COOKIE) or b"").decode("ascii", "replace")
    return now is not None and valid_session(cookie, token, now)
