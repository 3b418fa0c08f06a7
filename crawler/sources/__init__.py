"""The sources: one module per site, each a declaration (its `SPEC`, a SourceSpec of
crawler/sources/spec.py) and nothing else, so that reading, testing or listing one loads no crawl
machinery (no Scrapy engine, no store, no Redis). This package lists them and answers what needs
the declarations only: which source owns a URL, the URL an article is stored under, how outlets
name one another. Their spiders are made from the specs in crawler/spiders/.

Built at import, so a duplicate name fails before any crawl starts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.dedup.original import Outlets
from crawler.sources import aibase, bannedbook, daydaynews, generic, netease, solidot
from crawler.sources.spec import SourceSpec
from crawler.urls import check_url, normalise_url


def _registry(*specs: SourceSpec) -> dict[str, SourceSpec]:
    registry: dict[str, SourceSpec] = {}
    for spec in specs:
        if spec.name in registry:
            raise ValueError(f"duplicate source name {spec.name!r}")
        registry[spec.name] = spec
    return registry


SPECS: dict[str, SourceSpec] = _registry(
    netease.SPEC, bannedbook.SPEC, daydaynews.SPEC, solidot.SPEC, aibase.SPEC
)
GENERIC = generic.SPEC  # the fallback for a URL no source owns
ALL_SPECS: dict[str, SourceSpec] = {**SPECS, GENERIC.name: GENERIC}

OUTLETS = Outlets(  # how the story groups tell an original from its re-posts
    names={name: spec.names for name, spec in SPECS.items()},
    reposting=frozenset(name for name, spec in SPECS.items() if spec.reposts),
)


def spec_for(name: str) -> SourceSpec:
    """The source of that name; the generic fallback for a name no source has."""
    return ALL_SPECS.get(name, GENERIC)


def spec_for_url(url: str) -> SourceSpec:
    """The source whose domains own the URL's host, else the generic fallback."""
    host = urlsplit(url).hostname or ""
    return next((spec for spec in SPECS.values() if spec.owns(host)), GENERIC)


def stored_url(url: str) -> str:
    """The URL an article is stored under: checked, normalised, in its source's canonical form.
    Raises BadURL."""
    checked = check_url(url)
    return spec_for_url(checked).canonical(normalise_url(checked))
