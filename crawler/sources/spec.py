"""A source is a declaration: what makes one news site different from another, as data. A
source module declares its `SPEC` and imports nothing else of the crawler; the spider that crawls
it is made from the spec (crawler/spiders/)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.discovery.jsonlists import JsonFields
from crawler.extract.article import Extracted, Layout
from crawler.extract.removal import DELETED_NOTICES


@dataclass(frozen=True)
class SourceSpec:
    """Everything that makes one news site different from another."""

    name: str
    domains: tuple[str, ...]
    article_pattern: str  # regex searched in the absolute URL of an article page
    layouts: tuple[Layout, ...]  # the site's templates, newest first; empty: the generic path only
    start_urls: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()  # CSS selectors of this site's own noise blocks
    pagination: tuple[str, ...] = ()  # CSS selectors of "next page" links on listing pages
    timezone: str = "Asia/Shanghai"
    names: tuple[str, ...] = ()  # how other sites name this publisher in "来源：X" lines
    reposts: bool = False  # a site that re-posts other outlets' stories: never their original on a tie
    json_fields: JsonFields = JsonFields()  # where the site's JSON/JSONP channel lists keep URL, time, title
    deleted_notices: tuple[str, ...] = (
        DELETED_NOTICES  # what the site's "deleted" page says (extract/removal.py)
    )
    # one article, one URL: the outlet's article id in any of its URLs (a regex with an `id` group),
    # and the URL every form of it is stored under (`{id}` in it)
    article_id: str = ""
    canonical_url: str = ""
    # the source's own step, when it needs one (Fundus' @attribute): a module-level function of each
    # extracted page, returning it changed; it runs where extraction runs (a page worker), so the
    # spider is never edited for one site
    after_extract: Callable[[Extracted], Extracted] | None = None
    # the share of its article pages known to take the generic path (a learned source's templates
    # seen too rarely for a layout): the drift check's fallback ceiling is raised by it
    generic_share: float = 0.0
    article_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    article_id_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"source name {self.name!r} must be a lower-case identifier")
        object.__setattr__(self, "article_re", re.compile(self.article_pattern))
        object.__setattr__(self, "article_id_re", re.compile(self.article_id) if self.article_id else None)
        if bool(self.article_id) != ("{id}" in self.canonical_url):
            raise ValueError(f"source {self.name!r}: article_id and a canonical_url with {{id}} go together")
        if not 0.0 <= self.generic_share <= 1.0:
            raise ValueError(f"source {self.name!r}: generic_share must be 0 to 1, not {self.generic_share}")
        names = [layout.name for layout in self.layouts]
        if len(set(names)) != len(names):
            raise ValueError(f"source {self.name!r}: layout names must be unique, got {names}")

    def is_article(self, url: str) -> bool:
        return bool(self.article_re.search(url))

    def canonical(self, url: str) -> str:
        """The URL the article at `url` is stored under: the same for its mobile, desktop and
        channel URLs, so they are one document and never an original and its mirror."""
        match = self.article_id_re.search(url) if self.article_id_re else None
        return self.canonical_url.format(**match.groupdict()) if match else url

    def owns(self, host: str) -> bool:
        host = host.lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)
