"""The one token check of every endpoint: `Authorization: Bearer <API_TOKEN>`, or for a browser on
the dashboard the cookie that opening a page once with `?token=` sets."""

from __future__ import annotations

import hmac
from urllib.parse import unquote

from twisted.web.server import Request

TOKEN_COOKIE = b"crawler_token"


def matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def authorised(request: Request, token: str | None) -> bool:
    if not token:
        return True
    scheme, _, bearer = (request.getHeader("authorization") or "").strip().partition(" ")
    bearer = bearer.strip() if scheme.lower() == "bearer" else ""  # the scheme is case-insensitive (RFC 9110)
    cookie = unquote((request.getCookie(TOKEN_COOKIE) or b"").decode("utf-8", "replace"))
    return matches(bearer, token) or (bool(cookie) and matches(cookie, token))
