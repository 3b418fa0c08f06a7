"""The fallback for any URL no source module owns: trafilatura finds the body, cleaning does the rest."""

from crawler.extract.article import GENERIC
from crawler.sources.base import SourceSpec, SourceSpider

SPEC = SourceSpec(name="generic", domains=(), article_pattern=r"^https?://", selectors=GENERIC)


class GenericSpider(SourceSpider):
    name = "generic"
    spec = SPEC
