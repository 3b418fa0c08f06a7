"""Why a page gave no stored article: the one vocabulary of failures.

Stats keys (`fetch/failed/<reason>`, `validate/dropped/<reason>`), the run record's
`errors.by_reason`, the API's HTTP status and the CLI's message all come from a `Reason`, never
from matching exception names or message prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived


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
    NOT_LISTING = "not_listing"  # a discovery URL answered with nothing a discovery reader takes
    NOT_JSON = "not_json"  # a JSON list that is not JSON
    EMPTY_PAGE = "empty_page"
    NO_ARTICLE_TEXT = "no_article_text"
    NO_TITLE = "no_title"
    REMOVED = "removed"  # the article page redirects home or to a channel, or says the article was deleted
    NO_ARTICLE = "no_article"  # nothing came back: redirected off the site
    SKIPPED = "skipped"  # not fetched on purpose: offsite, or forbidden by robots.txt
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
    Reason.SKIPPED: 422,
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


class FetchFailed(Failed):
    """A page that was fetched but holds nothing to extract; the message says why."""


def describe_failure(failure: Failure) -> Problem:
    """Its reason, and one line a user can act on, for any download failure, told by its type:
    Scrapy's own, Twisted's, and ours (a `Failed` carries its problem: a request skipped on
    purpose, refused by the guard, redirected too often, too large)."""
    exc = failure.value
    if isinstance(exc, Failed):
        return exc.problem
    if isinstance(exc, HttpError):
        return Problem(Reason.HTTP_ERROR, f"HTTP {exc.response.status}")
    if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
        request = getattr(failure, "request", None)
        host = f" for {urlsplit(request.url).hostname}" if request is not None else ""
        return Problem(Reason.DNS_FAILED, f"DNS lookup failed{host}")
    if isinstance(exc, (TimeoutError, TCPTimedOutError, DownloadTimeoutError)):
        return Problem(Reason.TIMED_OUT, f"timed out ({exc})")
    if isinstance(exc, (ConnectionRefusedError, DownloadConnectionRefusedError)):
        return Problem(Reason.CONNECTION_REFUSED, "connection refused")
    if isinstance(exc, ResponseDataLossError):  # fewer bytes than its Content-Length, then the end
        return Problem(Reason.CONNECTION_CLOSED, "connection closed before the page ended")
    if isinstance(exc, (ResponseNeverReceived, ConnectionLost, ConnectionDone, ResponseFailed)):
        return Problem(Reason.CONNECTION_CLOSED, "connection closed before a response")
    if isinstance(exc, DownloadCancelledError):  # the body sent past DOWNLOAD_MAXSIZE
        return Problem(Reason.TOO_LARGE, TOO_LARGE)
    if isinstance(exc, DownloadFailedError):  # Scrapy wraps the transport's own error in it
        return Problem(Reason.DOWNLOAD_FAILED, f"download failed ({exc})")
    if isinstance(exc, BadURL):
        return Problem(Reason.BAD_URL, str(exc))
    return Problem(Reason.DOWNLOAD_FAILED, f"{type(exc).__name__}: {exc}".strip())


TOO_LARGE = "response too large: past the download size limit (counted after decompression), not read further"


class Skipped(IgnoreRequest, Failed):
    """A request not sent on purpose: offsite, or forbidden by robots.txt (crawler/downloads.py)."""

    def __init__(self, message: str) -> None:
        Failed.__init__(self, Reason.SKIPPED, message)


class TooManyRedirects(IgnoreRequest, Failed):
    def __init__(self) -> None:
        Failed.__init__(
            self,
            Reason.TOO_MANY_REDIRECTS,
            "too many redirects (a loop, or a chain longer than REDIRECT_MAX_TIMES)",
        )


class InflatedTooLarge(IgnoreRequest, Failed):
    """A compressed body that inflates past DOWNLOAD_MAXSIZE."""

    def __init__(self) -> None:
        Failed.__init__(self, Reason.TOO_LARGE, TOO_LARGE)


class NotJSON(ValueError):
    """A body that looked like a JSON list and is not one."""


class TooLarge(ValueError):
    """A gzipped document that inflates past the download size limit."""


class NotHTML(ValueError):
    """The document has no HTML element tree to read (empty, or not markup at all)."""


class Unreadable(ValueError):
    """A payload that is not a request in this form (one an older worker pickled, or garbage)."""


class Refused(ValueError):
    """The target is not one this endpoint fetches; the message says why."""


class BadURL(ValueError):
    """A URL the crawler cannot fetch: malformed, or not http(s)."""


class TargetRefused(IgnoreRequest, Failed):
    """A request the guard would not send; its message starts with "refused target"."""

    def __init__(self, message: str) -> None:
        Failed.__init__(self, Reason.REFUSED_TARGET, message)


class NotListing(ValueError):
    """A discovery URL that answered with something no discovery reader takes."""


class StoreUnavailable(Exception):
    """The store could not be reached or did not answer; the batch was not written. The message
    is one line without credentials; `disk_full` says the server refused for want of space."""

    def __init__(self, message: str, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


class SpoolLineError(ValueError):
    """A spool line that is not a spooled document (torn by a crash, or garbage)."""


class AlreadyServed(Exception):
    """The folder is served by another live process."""


class NotStarted(Exception):
    """The embedded server could not be started; the message says why, in one line."""


class BadSetting(ValueError):
    """A setting, or an argument, no command can run with; `crawler` prints it as one line and
    exits 2."""


class CannotStart(Exception):
    """A command that cannot start its work (its frontier unreachable): one line, exit 1."""


class ApiError(Exception):
    """An answer other than 200, with its JSON body: {"status": "error", "code": ..., "message": ...}."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    @classmethod
    def of(cls, problem: Problem) -> ApiError:
        return cls(problem.reason.http_status, problem.message)


class NotModified(IgnoreRequest):
    """A listing page that has not changed since the last run (crawler/conditional.py)."""
