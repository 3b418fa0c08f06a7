"""A news site of many distinct articles for distributed crawls: each page is the real NetEase page
with a body of its own, so no two articles are near-duplicates of each other."""

from __future__ import annotations

import random
import re

from tests.conftest import page_bytes
from tests.site import Page, Site

NETEASE = page_bytes("netease").decode()
ALPHABET = sorted({c for c in NETEASE if "\u4e00" <= c <= "\u9fff"})
LISTING = "http://www.163.com/news/"
ARTICLE = "http://www.163.com/dy/article/{}.html"
STORED = "https://www.163.com/dy/article/{}.html"  # the URL every form of a NetEase docid is stored under
_BODY = re.compile(r'(<div class="post_body">)(.*?)(</div>)', re.S)


def body(ident: str) -> str:
    rng = random.Random(ident)
    sentences = ["".join(rng.choices(ALPHABET, k=rng.randint(18, 40))) + "。" for _ in range(24)]
    return "".join(f"<p>{''.join(sentences[i : i + 3])}</p>" for i in range(0, len(sentences), 3))


def article(ident: str) -> bytes:
    page = NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{ident}号新闻")
    return _BODY.sub(lambda m: m.group(1) + body(ident) + m.group(3), page, count=1).encode()


def news_site(site: Site, count: int, delay: float = 0.0, prefix: str = "N") -> list[str]:
    """A listing of `count` articles; returns their identifiers."""
    idents = [f"{prefix}{n:015d}" for n in range(count)]
    links = "".join(f'<li><a href="/dy/article/{i}.html">{i}</a></li>' for i in idents)
    site.add(LISTING, Page(f"<html><body><ul>{links}</ul></body></html>".encode()))
    for ident in idents:
        site.add(ARTICLE.format(ident), Page(article(ident), delay=delay))
    return idents


def article_fetches(site: Site) -> list[str]:
    return [r.rsplit("/", 1)[1].removesuffix(".html") for r in site.requests if "/dy/article/" in r]
