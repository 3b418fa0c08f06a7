"""What a discovery document lists, and the age rule every kind shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    """One URL a discovery document lists, with what it says of it: when the article was published
    and when the URL last changed (a sitemap's lastmod, a feed entry's updated), each with its
    precision ("day" when only the day is known: it covers the whole day), its title, and other
    URLs of the same page (a sitemap's hreflang alternates)."""

    url: str
    published: datetime | None = None
    precision: str = "second"
    modified: datetime | None = None
    modified_precision: str = "second"
    title: str = ""
    alternates: tuple[str, ...] = ()

    def newest(self) -> datetime | None:
        """The latest moment the entry's dates allow: a day-only date reaches to that day's end."""
        dates = [
            d + DAY if precision == "day" else d
            for d, precision in ((self.published, self.precision), (self.modified, self.modified_precision))
            if d is not None
        ]
        return max(dates) if dates else None

    def older_than(self, cutoff: datetime) -> bool:
        """Neither published nor changed since `cutoff`; an entry with no date is never too old."""
        newest = self.newest()
        return newest is not None and newest < cutoff


@dataclass
class Listing:
    """A discovery document read: its kind (a key of the run record's `discovery`), the article
    candidates it lists, and further discovery documents to read (an index's sitemaps, robots.txt's
    Sitemap lines)."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    follow: list[Entry] = field(default_factory=list)
