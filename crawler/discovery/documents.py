"""What a discovery document is, told from its bytes (not its name or Content-Type, both of which
lie: feeds served as text/html, sitemaps as application/octet-stream, JSONP as text/javascript),
and the reader for each kind."""

from __future__ import annotations

import re

from crawler.discovery.entries import Listing
from crawler.discovery.feeds import read_feed
from crawler.discovery.jsonlists import JsonFields, read_json
from crawler.discovery.sitemaps import read_robots, read_sitemap

SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
FEED_ROOTS = frozenset({"rss", "rdf", "feed", "channel"})
# the first element of an XML/HTML document, after the declaration, comments and a doctype
ROOT = re.compile(rb"<(?![?!/])(?:[\w.-]+:)?([\w.-]+)")
ROBOTS_LINE = re.compile(rb"^[ \t]*(?:user-agent|disallow|allow|sitemap|crawl-delay)[ \t]*:", re.I | re.M)
JSONP_START = re.compile(rb"[A-Za-z_$][\w$.]*\s*\(\s*[\[{]")  # callback( then an array or object
BOM = b"\xef\xbb\xbf"


def recognise(body: bytes) -> str:
    """`sitemap`, `feed`, `json`, `robots` or `html` (a listing page, or anything else)."""
    head = body[:4096].removeprefix(BOM).lstrip()
    if head.startswith((b"[", b"{")) or JSONP_START.match(head):
        return "json"
    if head.startswith(b"<"):
        root = ROOT.search(_without_comments(head))
        name = root.group(1).lower().decode("latin-1") if root else ""
        return "sitemap" if name in SITEMAP_ROOTS else "feed" if name in FEED_ROOTS else "html"
    return "robots" if ROBOTS_LINE.search(head) else "html"


def read_document(kind: str, body: bytes, text: str, url: str, fields: JsonFields, tz: str) -> Listing:
    """The listing of a non-HTML discovery document; `text` is the body decoded (for JSON)."""
    if kind == "sitemap":
        return read_sitemap(body, tz)
    if kind == "feed":
        return read_feed(body)
    if kind == "json":
        return read_json(text, fields, tz)
    if kind == "robots":
        return read_robots(body, url)
    raise ValueError(f"not a discovery document kind: {kind}")


def _without_comments(head: bytes) -> bytes:
    return re.sub(rb"<!--.*?-->", b"", head, flags=re.S)
