"""The fallback for any URL no source module owns: trafilatura finds the body, cleaning does the rest."""

from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(name="generic", domains=(), article_pattern=r"^https?://", layouts=())
