"""Requests as the frontier keeps them in Redis: JSON, never pickle. A pickled request is code: anyone
who can write to Redis could run it in every worker that reads the queue. Scrapy's own
`Request.to_dict` / `request_from_dict` give the request as plain values; the few that JSON has no
word for (bytes, tuples and sets, dates, dicts keyed by bytes, the RawArticle a multi-page article
carries to its next page) are tagged, so that a request reads back exactly as it was written. Any
other type is refused when the request is queued, never guessed at when it is read.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict

from crawler.failures import Unreadable
from crawler.items import Article, RawArticle

ITEMS: dict[str, type[Any]] = {"$article": Article, "$raw_article": RawArticle}  # dataclasses, by tag
TAGS = ("$bytes", "$tuple", "$frozenset", "$datetime", "$map", *ITEMS)


def encode(request: Request, spider: Spider) -> bytes:
    return json.dumps(
        _plain(request.to_dict(spider=spider)), ensure_ascii=False, separators=(",", ":")
    ).encode()


def decode(payload: bytes, spider: Spider) -> Request:
    """Raises Unreadable."""
    try:
        found = json.loads(payload, object_hook=_tagged)
    except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise Unreadable(f"not a request the frontier wrote ({exc})") from None
    if not isinstance(found, dict) or "url" not in found:
        raise Unreadable("not a request the frontier wrote (no url)")
    return request_from_dict(found, spider=spider)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_plain(v) for v in value]}
    if isinstance(value, frozenset):
        return {"$frozenset": [_plain(v) for v in sorted(value, key=repr)]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    for tag, kind in ITEMS.items():
        if type(value) is kind:
            return {tag: {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k in TAGS for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"$map": [[_plain(k), _plain(v)] for k, v in value.items()]}
    raise TypeError(f"a {type(value).__name__} in a request cannot be kept in the frontier")


def _tagged(obj: dict[str, Any]) -> Any:
    if len(obj) != 1 or next(iter(obj)) not in TAGS:
        return obj
    tag, value = next(iter(obj.items()))
    if tag == "$bytes":
        return base64.b64decode(value, validate=True)
    if tag == "$tuple":
        return tuple(value)
    if tag == "$frozenset":
        return frozenset(value)
    if tag == "$datetime":
        return datetime.fromisoformat(value)
    if tag == "$map":
        return {k: v for k, v in value}
    return ITEMS[tag](**value)
