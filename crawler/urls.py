"""URL checks and normalisation: one article, one URL, whatever tracking was glued onto it."""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.failures import BadURL

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {"spm", "fbclid", "gclid", "yclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "ref_src", "igshid"}
)
ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


def check_url(url: str) -> str:
    """Return the URL stripped, or raise BadURL with a reason a user can act on."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "none"
        raise BadURL(f"unsupported URL scheme {shown!r} in {url!r}: only http and https are fetched")
    if not parts.hostname:
        raise BadURL(f"malformed URL {url!r}: no host name")
    if port == 0:
        raise BadURL(f"malformed URL {url!r}: port 0")
    try:
        parts.hostname.encode("idna")
    except UnicodeError:  # a byte that is not UTF-8 arrives as U+FFFD; a label past 63 characters
        raise BadURL(f"malformed URL {url!r}: {parts.hostname!r} is not a valid host name") from None
    return url


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters."""
    parts = urlsplit(check_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query, doseq=True), ""))


def site_of(url: str) -> str:
    """Host name of a URL, lower-cased: the `site` field."""
    return (urlsplit(url).hostname or "").lower()


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
