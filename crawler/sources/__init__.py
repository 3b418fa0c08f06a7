"""The sources: one module per site, each a declaration (its `SPEC`, a SourceSpec of
crawler/sources/spec.py) and nothing else, so that reading, testing or listing one loads no crawl
machinery (no Scrapy engine, no store, no Redis); and the sources a deployment added as files
(crawler/sources/files.py, in SOURCES_DIR). A `Registry` holds the sources one deployment crawls
and answers what needs the declarations only: which source owns a URL, the URL an article is
stored under, how outlets name one another. Their spiders are made from the specs in
crawler/spiders/.

`BUILT_IN` is built at import, so a duplicate name among the modules fails before any crawl
starts; `registry_of(settings)` adds the enabled files of SOURCES_DIR, checked the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from crawler.dedup.original import Outlets
from crawler.failures import BadSetting
from crawler.sources import aibase, bannedbook, daydaynews, generic, netease, solidot
from crawler.sources.files import SourceFile, source_files
from crawler.sources.spec import SourceSpec
from crawler.urls import check_url, normalise_url

GENERIC = generic.SPEC  # the fallback for a URL no source owns


@dataclass(frozen=True)
class Registry:
    """The sources one deployment crawls (the generic fallback aside)."""

    specs: Mapping[str, SourceSpec]

    @classmethod
    def of(cls, *specs: SourceSpec) -> Registry:
        """Raises ValueError on a name given twice, or the generic fallback's."""
        registry: dict[str, SourceSpec] = {}
        for spec in specs:
            if spec.name in registry or spec.name == GENERIC.name:
                raise ValueError(f"duplicate source name {spec.name!r}")
            registry[spec.name] = spec
        return cls(MappingProxyType(registry))

    def adding(self, files: list[SourceFile]) -> Registry:
        """This registry and the enabled files'. Raises BadSetting naming a file whose source has
        a name another already has."""
        for file in files:
            if file.spec.name in self.specs or file.spec.name == GENERIC.name:
                raise BadSetting(f"{file.path}: source name {file.spec.name!r} is already taken")
        return Registry.of(*self.specs.values(), *(file.spec for file in files if file.enabled))

    @cached_property
    def all_specs(self) -> Mapping[str, SourceSpec]:
        """Every source with the generic fallback last."""
        return MappingProxyType({**self.specs, GENERIC.name: GENERIC})

    @cached_property
    def outlets(self) -> Outlets:
        """How the story groups tell an original from its re-posts."""
        return Outlets(
            names={name: spec.names for name, spec in self.specs.items()},
            reposting=frozenset(name for name, spec in self.specs.items() if spec.reposts),
        )

    def spec_for(self, name: str) -> SourceSpec:
        """The source of that name; the generic fallback for a name no source has."""
        return self.all_specs.get(name, GENERIC)

    def spec_for_url(self, url: str) -> SourceSpec:
        """The source whose domains own the URL's host, else the generic fallback."""
        host = urlsplit(url).hostname or ""
        return next((spec for spec in self.specs.values() if spec.owns(host)), GENERIC)

    def stored_url(self, url: str) -> str:
        """The URL an article is stored under: checked, normalised, in its source's canonical
        form. Raises BadURL."""
        checked = check_url(url)
        return self.spec_for_url(checked).canonical(normalise_url(checked))


BUILT_IN = Registry.of(netease.SPEC, bannedbook.SPEC, daydaynews.SPEC, solidot.SPEC, aibase.SPEC)


def added_sources(settings: BaseSettings) -> list[SourceFile]:
    """The source files of SOURCES_DIR, enabled or not (none when it names no folder). Raises
    BadSetting."""
    folder = settings.get("SOURCES_DIR")
    return list(source_files(folder)) if folder else []


def registry_of(settings: BaseSettings) -> Registry:
    """The sources this deployment crawls: the built-in modules and the enabled files of
    SOURCES_DIR. Raises BadSetting naming a file that is wrong."""
    return BUILT_IN.adding(added_sources(settings))
