"""Why a page gave no stored article: the one vocabulary of failures.

Stats keys (`fetch/failed/<reason>`, `validate/dropped/<reason>`), the run record's
`errors.by_reason`, the API's HTTP status and the CLI's message all come from a `Reason`, never
from matching exception names or message prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    BAD_URL = "bad_url"
    REFUSED_TARGET = "refused_target"  # the API's guard would not send it (private address, ...)
    HTTP_ERROR = "http_error"
    DNS_FAILED = "dns_failed"
    TIMED_OUT = "timed_out"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_CLOSED = "connection_closed"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    DOWNLOAD_FAILED = "download_failed"
    NOT_HTML = "not_html"
    EMPTY_PAGE = "empty_page"
    NO_ARTICLE_TEXT = "no_article_text"
    NO_TITLE = "no_title"
    REMOVED = "removed"  # the article page redirects home or to a channel, or says the article was deleted
    NO_ARTICLE = "no_article"  # nothing came back: skipped (robots.txt, offsite) or redirected off the site
    NOT_STORED = "not_stored"  # extracted, but the store did not take it: spooled, or neither
    WORKER_DIED = "worker_died"  # the process extracting the page died (out of memory?); tried again next run

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self, 502)  # anything else: the page could not be fetched


HTTP_STATUS = {
    Reason.BAD_URL: 400,
    Reason.REFUSED_TARGET: 403,
    Reason.NOT_HTML: 422,
    Reason.EMPTY_PAGE: 422,
    Reason.NO_ARTICLE_TEXT: 422,
    Reason.NO_TITLE: 422,
    Reason.NO_ARTICLE: 422,
    Reason.REMOVED: 410,
    Reason.NOT_STORED: 503,
    Reason.TIMED_OUT: 504,
    Reason.WORKER_DIED: 500,
}


@dataclass(frozen=True)
class Problem:
    """A reason and the one line a user can act on."""

    reason: Reason
    message: str

    def __str__(self) -> str:
        return self.message


NO_ARTICLE = Problem(
    Reason.NO_ARTICLE, "no article extracted (the page was skipped or redirected off its site)"
)


class Failed(Exception):
    """Raised where a page's handling stops; carries its Problem."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(reason, message)

    def __reduce__(self) -> tuple[type[Failed], tuple[Reason, str]]:
        """Pickled with its reason: raised in a page worker process, it arrives whole."""
        return type(self), (self.problem.reason, self.problem.message)
