"""The source registry: one module per site; lookups by name and by URL.

Built at import, so a duplicate name or a spider without a spec fails before any crawl starts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.dedup.original import Outlets
from crawler.sources import aibase, bannedbook, daydaynews, netease, solidot
from crawler.sources.base import SourceSpec, SourceSpider
from crawler.spiders.generic import GenericSpider
from crawler.urls import check_url, normalise_url


def _registry(*spiders: type[SourceSpider]) -> dict[str, type[SourceSpider]]:
    registry: dict[str, type[SourceSpider]] = {}
    for spider in spiders:
        if not isinstance(getattr(spider, "spec", None), SourceSpec) or spider.name != spider.spec.name:
            raise TypeError(f"{spider.__name__}: `name` must equal its SourceSpec's name")
        if spider.name in registry:
            raise ValueError(f"duplicate source name {spider.name!r}")
        registry[spider.name] = spider
    return registry


SOURCES: dict[str, type[SourceSpider]] = _registry(
    netease.NeteaseSpider,
    bannedbook.BannedbookSpider,
    daydaynews.DaydaynewsSpider,
    solidot.SolidotSpider,
    aibase.AibaseSpider,
)
ALL_SPIDERS: dict[str, type[SourceSpider]] = {**SOURCES, "generic": GenericSpider}


def spider_for_url(url: str) -> type[SourceSpider]:
    """The source whose domains own the URL's host, else the generic fallback."""
    host = urlsplit(url).hostname or ""
    for spider in SOURCES.values():
        if spider.spec.owns(host):
            return spider
    return GenericSpider


def stored_url(url: str) -> str:
    """The URL an article is stored under: checked, normalised, in its source's canonical form.
    Raises BadURL."""
    checked = check_url(url)
    return spider_for_url(checked).spec.canonical(normalise_url(checked))


OUTLETS = Outlets(  # how the story groups tell an original from its re-posts
    names={name: spider.spec.names for name, spider in SOURCES.items()},
    reposting=frozenset(name for name, spider in SOURCES.items() if spider.spec.reposts),
)


def spec_for(name: str) -> SourceSpec:
    return ALL_SPIDERS[name].spec if name in ALL_SPIDERS else GenericSpider.spec
