"""The API's JSON resources: `GET|POST /fetch` and `GET /health`.

Each fetch runs the URL's own spider (or the generic one) through `OnDemand`, the same path as
`crawler fetch`, with the project's pipelines, then answers with the stored article in the exact
JSON `crawler fetch` prints. Every failure has its status (from its `Reason`) and a JSON body.
Pages are extracted in the process's one pool of page worker processes (crawler/pagework.py),
so a heavy page never holds up /health or the dashboard.

The reactor never waits on the store: the process keeps one store client, and every call to it
(the health ping, reading an article back) runs in the store's own thread pool with a deadline,
so a store that is down slows none of the other requests, nor the downloads' DNS lookups (which
use the reactor's pool).
"""

from __future__ import annotations

import json
import logging
from typing import Any, NoReturn, TypeVar

from scrapy.crawler import CrawlerRunner
from scrapy.settings import Settings
from twisted.internet import defer, reactor
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from crawler.api.dashboard import dashboard_children
from crawler.api.guard import allowed_from
from crawler.api.http import query_arg
from crawler.api.storecalls import HEALTH_DEADLINE, StoreCalls
from crawler.api.token import authorised
from crawler.archive.capture import Capture
from crawler.failures import ApiError, BadURL, Problem, Reason, Refused, StoreUnavailable
from crawler.netguard import check_target
from crawler.ondemand import Fetched, OnDemand
from crawler.pagework import PageWork
from crawler.store.history import history

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Encoded(bytes):
    """An answer's JSON body, encoded already (off the reactor)."""


def encoded(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode()


class ApiResource(Resource):
    """Token check, JSON answers and JSON errors shared by every endpoint."""

    isLeaf = True

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.token: str | None = settings.get("API_TOKEN") or None

    def authorise(self, request: Request) -> None:
        if not authorised(request, self.token):
            request.setHeader(b"WWW-Authenticate", b"Bearer")
            raise ApiError(401, "missing or wrong token: send Authorization: Bearer <API_TOKEN>")

    def render(self, request: Request) -> bytes | int:
        try:
            result = super().render(request)
        except ApiError as exc:
            return self.error(request, exc)
        if not isinstance(result, defer.Deferred):
            return self.json(request, 200, result)
        result.addCallbacks(
            lambda obj: self.finish(request, 200, obj), lambda failure: self.failed(request, failure)
        )
        return NOT_DONE_YET

    def failed(self, request: Request, failure: Failure) -> None:
        if failure.check(ApiError):
            exc = failure.value
            assert isinstance(exc, ApiError)
            self.finish(request, exc.code, {"status": "error", "code": exc.code, "message": exc.message})
            return
        logger.error("%s %s failed: %s", request.method.decode(), request.uri[:200], failure.getTraceback())
        self.finish(
            request, 500, {"status": "error", "code": 500, "message": "internal error; the log says why"}
        )

    def error(self, request: Request, exc: ApiError) -> bytes:
        return self.json(request, exc.code, {"status": "error", "code": exc.code, "message": exc.message})

    @staticmethod
    def json(request: Request, code: int, obj: Any) -> bytes:
        body = obj if isinstance(obj, Encoded) else encoded(obj)
        request.setResponseCode(code)
        request.setHeader(b"Content-Type", b"application/json; charset=utf-8")
        request.setHeader(b"Content-Length", str(len(body)).encode())
        return body

    def finish(self, request: Request, code: int, obj: Any) -> None:
        if request.finished or request.channel is None:  # the client went away meanwhile
            return
        request.write(self.json(request, code, obj))
        request.finish()


class NotFound(ApiResource):
    def render(self, request: Request) -> bytes:
        return self.error(
            request,
            ApiError(404, "no such endpoint: try /fetch, /history, /health, / (the dashboard) or /metrics"),
        )


class Root(Resource):
    """/fetch, /history and /health; the dashboard at / (and /sources/NAME, /stories, /article, /metrics);
    anything else is a JSON 404."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        calls = StoreCalls(settings)
        calls.prepare()
        processes = settings.getint("API_EXTRACT_PROCESSES")  # one pool for every fetch's crawl
        work = (
            PageWork(processes, processes=True) if processes else PageWork(settings.getint("EXTRACT_THREADS"))
        )
        work.start()
        reactor.addSystemEventTrigger("during", "shutdown", work.stop)
        self.putChild(b"fetch", FetchResource(settings, calls, work))
        self.putChild(b"health", HealthResource(settings, calls))
        self.putChild(b"history", HistoryResource(settings, calls))
        for path, page in dashboard_children(settings, calls, work).items():
            self.putChild(path, page)
        self.missing = NotFound(settings)

    def getChild(self, path: bytes, request: Request) -> Resource:  # noqa: N802 - Twisted's name
        return self.missing

    def render(self, request: Request) -> bytes:
        return self.missing.render(request)


class StoreResource(ApiResource):
    """A resource that answers from the store, through the API's one set of store calls."""

    def __init__(self, settings: Settings, calls: StoreCalls) -> None:
        super().__init__(settings)
        self.calls = calls


class HealthResource(StoreResource):
    allowedMethods = (b"GET",)

    def render_GET(self, request: Request) -> defer.Deferred[dict[str, str]]:  # noqa: N802 - Twisted's name
        self.authorise(request)

        def unreachable(failure: Failure) -> NoReturn:
            if failure.check(defer.TimeoutError):
                raise ApiError(503, f"store unreachable: no answer within {HEALTH_DEADLINE:g} s")
            raise ApiError(503, f"store unreachable: {str(failure.value).split(',')[0]}")

        return self.calls.health().addCallbacks(lambda _: {"status": "ok"}, unreachable)


class HistoryResource(StoreResource):
    """GET /history?url=: the article's versions and removals, as `crawler history` prints them;
    &diff=1 adds each version's unified diff against the one before."""

    allowedMethods = (b"GET",)

    def render_GET(self, request: Request) -> defer.Deferred[dict[str, Any]]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        given = query_arg(request, b"url").strip()
        if not given:
            raise ApiError(400, "missing url: GET /history?url=...")
        try:
            url = self.calls.sources.stored_url(given)
        except BadURL as exc:
            raise ApiError.of(Problem(Reason.BAD_URL, str(exc))) from None
        diff = query_arg(request, b"diff") in ("1", "true", "yes")
        store = self.calls.store

        def read() -> dict[str, Any]:
            try:
                versions = store.keeping.versions
                assert versions is not None
                entries = history(store.articles, versions, url, diff)
            except StoreUnavailable as exc:
                raise ApiError(503, f"store unreachable: {exc}") from None
            if entries is None:
                raise ApiError(404, f"{url} is not stored")
            return {"url": url, "history": entries}

        return self.calls.call(read)


class FetchResource(StoreResource):
    allowedMethods = (b"GET", b"POST")

    def __init__(self, settings: Settings, calls: StoreCalls, work: PageWork) -> None:
        super().__init__(settings, calls)
        self.allowed = allowed_from(settings.get("API_ALLOW", ""))
        self.timeout = settings.getfloat("API_TIMEOUT")
        capture = Capture(settings) if settings.getbool("WARC_CAPTURE") else None  # the process's one
        if capture is not None:
            reactor.addSystemEventTrigger("during", "shutdown", capture.close)
        self.ondemand = OnDemand(CrawlerRunner(settings), settings, calls.store, work, capture)

    def render_GET(self, request: Request) -> defer.Deferred[Encoded]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        return self.fetch(query_arg(request, b"url"))

    def render_POST(self, request: Request) -> defer.Deferred[Encoded]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        try:
            body = json.loads((request.content.read() if request.content else b"") or b"{}")
        except (ValueError, RecursionError):  # RecursionError: JSON nested past Python's stack
            body = None
        if not isinstance(body, dict):
            raise ApiError(400, 'the body must be a JSON object: {"url": "https://..."}')
        url = body.get("url")
        return self.fetch(url if isinstance(url, str) else "")

    def fetch(self, url: str) -> defer.Deferred[Encoded]:
        if not url.strip():
            raise ApiError(400, 'missing url: GET /fetch?url=... or POST /fetch {"url": ...}')
        try:
            check_target(url, self.allowed)
        except BadURL as exc:
            raise ApiError.of(Problem(Reason.BAD_URL, str(exc))) from None
        except Refused as exc:
            raise ApiError.of(Problem(Reason.REFUSED_TARGET, str(exc))) from None
        url = url.strip()
        fetched, done = self.ondemand.crawl([url])
        answer: defer.Deferred[Encoded] = defer.Deferred()

        def over_time() -> None:
            self.ondemand.stop(fetched)
            answer.errback(
                ApiError.of(
                    Problem(Reason.TIMED_OUT, f"timed out: no answer within API_TIMEOUT={self.timeout:g} s")
                )
            )

        timer = reactor.callLater(self.timeout, over_time)

        def crawled(_: Any) -> defer.Deferred[Encoded]:
            return self.calls.call(self.answer, url, fetched)

        def settle(result: Any) -> None:
            if answer.called:  # timed out meanwhile: answered already
                return
            timer.cancel()
            if isinstance(result, Failure):
                answer.errback(result)
            else:
                answer.callback(result)

        done.addCallback(crawled).addBoth(settle)
        return answer

    def answer(self, url: str, fetched: Fetched) -> Encoded:
        """The stored article, read back and encoded in the store's threads: a long body takes
        a tenth of a second to encode, which the reactor does not wait for."""
        [outcome] = self.ondemand.outcomes([url], fetched)
        if outcome.problem is not None:
            raise ApiError.of(outcome.problem)
        return Encoded(encoded(outcome.article))
