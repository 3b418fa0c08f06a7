"""Articles that live in a page's embedded state: sites built with Next.js (`__NEXT_DATA__`), Nuxt
(`window.__NUXT__`) or a store of their own (`window.__INITIAL_STATE__`) may send a shell with no
story in its markup and the article in a JSON object the browser renders it from. That object is
read here — no browser — and its body HTML goes through the same cleaning as any body.

The article in the state is the object holding the longest HTML string of story length under a
body-like key; its title, time and author are that object's own fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml.etree import _Element

STATE_ASSIGNMENT = re.compile(
    r"^\s*window\.(?P<name>__NUXT__|__INITIAL_STATE__|__PRELOADED_STATE__|__APOLLO_STATE__)\s*=\s*"
)
BODY_KEYS = (
    "content",
    "body",
    "html",
    "articleBody",
    "contentHtml",
    "content_html",
    "articleContent",
    "detail",
)
TITLE_KEYS = ("title", "headline", "name")
TIME_KEYS = (
    "publishTime",
    "publishedAt",
    "published_at",
    "datePublished",
    "pubDate",
    "publishDate",
    "createTime",
    "createdAt",
    "created_at",
    "ctime",
    "date",
)
AUTHOR_KEYS = ("author", "authorName", "author_name", "writer", "nickname")
HTML_MARK = re.compile(r"<(?:p|br|div|h[1-6]|img|section)\b", re.I)
TAG = re.compile(r"<[^>]+>")
MAX_DEPTH = 12  # a state nests its article a few levels down; deeper is a tree of something else


@dataclass(frozen=True)
class StateArticle:
    """The article an embedded state holds, and where: `__NEXT_DATA__: props.pageProps.news.content`."""

    where: str
    body_html: str
    title: str | None
    time: str | None
    author: str | None


def has_state(root: _Element) -> bool:
    """Whether the page carries an embedded state at all (read without parsing any)."""
    return any(
        script.get("id") == "__NEXT_DATA__" or STATE_ASSIGNMENT.match(script.text or "")
        for script in root.iter("script")
    )


def states(root: _Element) -> Iterator[tuple[str, Any]]:
    """The page's embedded states, by name, parsed; a state that is not JSON (Nuxt's function
    call) is passed over."""
    for script in root.iter("script"):
        text = script.text or ""
        if script.get("id") == "__NEXT_DATA__":
            name, payload = "__NEXT_DATA__", text
        elif match := STATE_ASSIGNMENT.match(text):
            name, payload = match["name"], text[match.end() :].strip().rstrip(";")
        else:
            continue
        try:
            yield name, json.loads(payload)
        except ValueError:
            continue


def state_article(root: _Element, min_chars: int) -> StateArticle | None:
    """The article held in the page's embedded state, or None when no state holds one."""
    best: tuple[int, str, dict[str, Any], str] | None = None
    for name, state in states(root):
        for path, holder, key in _html_fields(state, name, 0):
            chars = len("".join(TAG.sub("", holder[key]).split()))
            if chars >= min_chars and (best is None or chars > best[0]):
                best = (chars, f"{path}.{key}", holder, key)
    if best is None:
        return None
    _, where, holder, key = best
    return StateArticle(
        where, holder[key], _text(holder, TITLE_KEYS), _time(holder), _text(holder, AUTHOR_KEYS)
    )


def _html_fields(node: Any, path: str, depth: int) -> Iterator[tuple[str, dict[str, Any], str]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in BODY_KEYS and isinstance(value, str) and HTML_MARK.search(value):
                yield path, node, key
            elif isinstance(value, (dict, list)):
                yield from _html_fields(value, f"{path}.{key}", depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _html_fields(value, f"{path}[{index}]", depth + 1)


def _text(holder: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = holder.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("nickname")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _time(holder: dict[str, Any]) -> str | None:
    """The time field as text; a number is an epoch (seconds or milliseconds) and is given as ISO."""
    for key in TIME_KEYS:
        value = holder.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
