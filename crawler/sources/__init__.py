"""The source registry: one module per site, which declares its SourceSpec; each source's spider
class is made from its spec here, and Scrapy finds them through `RegistrySpiderLoader`
(SPIDER_LOADER_CLASS), so `scrapy list`, `scrapy crawl SOURCE` and URL lookups see the same set.

Built at import, so a duplicate name fails before any crawl starts.
"""

from __future__ import annotations

import builtins
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from crawler.dedup.original import Outlets
from crawler.sources import aibase, bannedbook, daydaynews, netease, solidot
from crawler.sources.base import SourceSpec, SourceSpider
from crawler.spiders import generic
from crawler.urls import check_url, normalise_url


def _registry(*specs: SourceSpec) -> dict[str, type[SourceSpider]]:
    registry: dict[str, type[SourceSpider]] = {}
    for spec in specs:
        if spec.name in registry:
            raise ValueError(f"duplicate source name {spec.name!r}")
        registry[spec.name] = SourceSpider.of(spec)
    return registry


SOURCES: dict[str, type[SourceSpider]] = _registry(
    netease.SPEC, bannedbook.SPEC, daydaynews.SPEC, solidot.SPEC, aibase.SPEC
)
GenericSpider = SourceSpider.of(generic.SPEC)  # the fallback for a URL no source owns
ALL_SPIDERS: dict[str, type[SourceSpider]] = {**SOURCES, "generic": GenericSpider}


class RegistrySpiderLoader:  # Scrapy's SpiderLoaderProtocol
    """Scrapy's spider loader over the registry; spiders of any SPIDER_MODULES a deployment adds are
    found as Scrapy's own loader finds them, beside the registry's (a name in both is an error)."""

    def __init__(self, settings: BaseSettings) -> None:
        modules = SpiderLoader.from_settings(settings)
        both = set(modules.list()) & ALL_SPIDERS.keys()
        if both:
            raise ValueError(f"spider name(s) {sorted(both)} in SPIDER_MODULES are the registry's")
        self.spiders: dict[str, type[Spider]] = {
            **ALL_SPIDERS,
            **{n: modules.load(n) for n in modules.list()},
        }

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RegistrySpiderLoader:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self.spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return list(self.spiders)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name, spider in self.spiders.items() if spider.handles_request(request)]


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
