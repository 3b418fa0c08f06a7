"""Authors that are people or desks: what a page's author field holds is often something else —
an email beside a placeholder name, a user id, a Facebook URL, the forum software's credits, a
wiki's contributors, or the site's own name. Each part of the value is kept only when it can name
a person or a desk; the raw value is kept beside it by the caller."""

from __future__ import annotations

import re
from collections.abc import Iterable

PARTS = re.compile(r"\s*(?:[,，、;；|]|\s+and\s+|\s+&\s+)\s*")
SLASH = re.compile(r"\s*/\s*")  # 张三/李四; never inside a URL
BYLINE = re.compile(r"^(?:by|from)\s+", re.I)
NOT_A_NAME = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+"  # an email
    r"|^(?:https?://|www\.)|\.(?:com|net|org|cn|co|io|gov|edu)(?:\.[a-z]{2})?(?:/|$)"  # a URL or a host
    r"|^[A-Za-z_]{0,3}\d{3,}$|^\d+$"  # a user id: 104363, L_104485
    # forum or blog software's credits, and placeholders
    r"|discuz|comsenz|wordpress|powered by|\bteam\b|^admin(?:istrator)?$|^name$|^editor$"
    r"|贡献者|貢獻者|contributors",  # a wiki's contributors
    re.I,
)
KEY = re.compile(r"[\s\W_]+")


def person_author(raw: str | None, site_names: Iterable[str]) -> str | None:
    """The parts of `raw` that name a person or a desk, joined by ", "; None when none does."""
    if not raw:
        return None
    sites = {key for name in site_names if len(key := KEY.sub("", name).lower()) >= 2}
    kept = []
    parts = [p for chunk in PARTS.split(raw) for p in ([chunk] if "://" in chunk else SLASH.split(chunk))]
    for part in parts:
        part = BYLINE.sub("", part.strip())
        if part and not NOT_A_NAME.search(part) and not _site_name(part, sites):
            kept.append(part)
    return ", ".join(dict.fromkeys(kept)) or None


def _site_name(part: str, sites: set[str]) -> bool:
    """The site's own name (网易 on a page titled "…_网易科技"), not a name of its own."""
    key = KEY.sub("", part).lower()
    return any(key == site or (len(key) >= 2 and site.startswith(key)) for site in sites)
