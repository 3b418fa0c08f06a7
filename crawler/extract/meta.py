"""Metadata a page declares for machines: <meta> tags and JSON-LD NewsArticle objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml.etree import _Element

from crawler.extract.html import collapse

TITLE_META = ("og:title", "twitter:title")
SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
# Publication-time meta names, most specific first: Open Graph and schema.org, then the names of
# the CMSs Chinese portals run (apub:time: People's Daily / Xinhua; ptime: NetEase; others: Sina,
# ifeng, Tencent, ThePaper), then Dublin Core and the generic ones
TIME_META = (
    "article:published_time",
    "og:article:published_time",
    "og:release_date",
    "datePublished",
    "apub:time",
    "publishdate",
    "pubdate",
    "publish_date",
    "publish-date",
    "ptime",
    "article:publish_time",
    "og:time",
    "release_date",
    "published",
    "weibo: article:create_at",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
    "date",
)
AUTHOR_META = ("author", "article:author", "dc.creator", "byl")
ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"}


def meta_content(root: _Element, names: tuple[str, ...]) -> str | None:
    """The first non-empty <meta name|property|itemprop=...> content among `names`, in that order."""
    wanted = {n.lower(): i for i, n in enumerate(names)}
    found: dict[int, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = collapse(meta.get("content") or "")
        if key in wanted and content and wanted[key] not in found:
            found[wanted[key]] = content
    return found[min(found)] if found else None


def json_ld_articles(root: _Element) -> Iterator[dict[str, Any]]:
    """Article-typed JSON-LD objects, including those inside @graph lists; bad JSON is skipped."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            stack.extend(node.get("@graph") or [])
            kind = node.get("@type")
            kinds = set(kind) if isinstance(kind, list) else {kind}
            if kinds & ARTICLE_TYPES:
                yield node


def json_ld_author(node: dict[str, Any]) -> str | None:
    author = node.get("author")
    authors = author if isinstance(author, list) else [author]
    given = [a.get("name") if isinstance(a, dict) else a for a in authors]
    names = [collapse(n) for n in given if isinstance(n, str) and n.strip()]
    return ", ".join(names) or None
