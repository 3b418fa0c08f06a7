"""ScrapyRT resources: `GET|POST /fetch` and `GET /health`.

Each fetch runs the URL's own spider (or the generic one) through ScrapyRT's CrawlManager with the
project's pipelines, then answers with the stored article in the exact JSON `crawler fetch`
prints. Every failure has its status and a JSON body: 400 bad URL, 401 no token, 403 refused
target, 422 no article, 502 not fetchable, 503 not stored, 504 over time.
"""

from __future__ import annotations

import json
from typing import Any

from pymongo.errors import PyMongoError
from scrapy.settings import Settings
from scrapyrt.core import CrawlManager
from scrapyrt.resources import ServiceResource
from twisted.internet import defer, reactor
from twisted.web.error import Error
from twisted.web.server import Request

from crawler.api.dashboard import dashboard_children
from crawler.api.guard import allowed_from, refusal_for
from crawler.api.token import authorised
from crawler.netguard import Refused, check_target
from crawler.ondemand import NO_ARTICLE, fetch_settings, not_stored, read_back
from crawler.sources import spider_for_url
from crawler.store.client import store_uri
from crawler.store.mongo import connect
from crawler.urls import BadURL

STATUS_BY_REASON = (  # first match wins; anything else could not be fetched: 502
    ("refused target", 403),
    ("timed out", 504),
    ("not stored", 503),
    ("not an HTML page", 422),
    ("empty page", 422),
    ("no article", 422),
    ("no title", 422),
)


def status_for(reason: str) -> int:
    return next((code for prefix, code in STATUS_BY_REASON if reason.startswith(prefix)), 502)


class Failed(Error):
    """An API error with its JSON body: {"status": "error", "code": ..., "message": ...}."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message=message.encode())


class FetchManager(CrawlManager):
    """ScrapyRT's crawl manager, run with this project's settings (guard on, bounded) instead of
    ScrapyRT's per-request debug log files."""

    settings: Settings  # the API's crawl settings, given before crawl()

    def get_project_settings(self) -> Settings:
        return self.settings.copy()

    def read_spider(self, spider: Any) -> None:
        """The server's own log handler serves every crawl: no handler (or file) per request."""


class ApiResource(ServiceResource):
    """Token check and JSON errors shared by every endpoint."""

    isLeaf = True

    def __init__(self, root: Any = None, settings: Settings | None = None) -> None:
        super().__init__(root)
        assert settings is not None
        self.settings = settings
        self.token: str | None = settings.get("API_TOKEN") or None

    def authorise(self, request: Request) -> None:
        if not authorised(request, self.token):
            request.setHeader(b"WWW-Authenticate", b"Bearer")
            raise Failed(401, "missing or wrong token: send Authorization: Bearer <API_TOKEN>")

    def format_error_response(self, exception: BaseException, request: Request) -> dict[str, Any]:
        message = getattr(exception, "message", None) or str(exception)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return {"status": "error", "code": request.code, "message": message}

    def render_object(self, obj: Any, request: Request) -> bytes:
        body = (json.dumps(obj, ensure_ascii=False) + "\n").encode()
        request.setHeader(b"Content-Type", b"application/json; charset=utf-8")
        request.setHeader(b"Content-Length", str(len(body)).encode())
        return body


class NotFound(ApiResource):
    def render(self, request: Request) -> bytes:
        request.setResponseCode(404)
        return self.render_object({"status": "error", "code": 404, "message": "no such endpoint: try /fetch, /health, / (the dashboard) or /metrics"}, request)


class Root(ApiResource):
    """/fetch and /health; the dashboard at / (and /sources/NAME, /stories, /article, /metrics);
    anything else is a JSON 404."""

    isLeaf = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(None, settings)
        self.putChild(b"fetch", FetchResource(self, settings))
        self.putChild(b"health", HealthResource(self, settings))
        for path, page in dashboard_children(settings).items():
            self.putChild(path, page)
        self.missing = NotFound(self, settings)

    def getChild(self, path: bytes, request: Request) -> ApiResource:  # noqa: N802 - Twisted's name
        return self.missing

    def render(self, request: Request) -> bytes:
        return self.missing.render(request)


class HealthResource(ApiResource):
    allowedMethods = (b"GET",)

    def render_GET(self, request: Request) -> dict[str, Any]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        uri = store_uri(self.settings)
        try:
            with connect(uri, min(self.settings.getint("MONGO_TIMEOUT_MS"), 2000)) as client:
                client.admin.command("ping")
        except PyMongoError as exc:
            raise Failed(503, f"store unreachable: {str(exc).split(',')[0]}") from None
        return {"status": "ok"}


class FetchResource(ApiResource):
    allowedMethods = (b"GET", b"POST")

    def __init__(self, root: Any = None, settings: Settings | None = None) -> None:
        super().__init__(root, settings)
        assert settings is not None
        self.crawl_settings = fetch_settings(settings, store=True)
        self.allowed = allowed_from(settings.get("API_ALLOW", ""))
        self.timeout = settings.getfloat("API_TIMEOUT")

    def render_GET(self, request: Request) -> defer.Deferred[dict[str, Any]]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        values = request.args.get(b"url") or [b""]
        return self.fetch(values[0].decode("utf-8", "replace"))

    def render_POST(self, request: Request) -> defer.Deferred[dict[str, Any]]:  # noqa: N802 - Twisted's name
        self.authorise(request)
        try:
            body = json.loads(request.content.read(64 * 1024) or b"{}")
        except ValueError:
            raise Failed(400, 'the body must be JSON: {"url": "https://..."}') from None
        url = body.get("url") if isinstance(body, dict) else None
        return self.fetch(url if isinstance(url, str) else "")

    def fetch(self, url: str) -> defer.Deferred[dict[str, Any]]:
        if not url.strip():
            raise Failed(400, "missing url: GET /fetch?url=... or POST /fetch {\"url\": ...}")
        try:
            check_target(url, self.allowed)
        except BadURL as exc:
            raise Failed(400, str(exc)) from None
        except Refused as exc:
            raise Failed(403, str(exc)) from None
        url = url.strip()
        spider = spider_for_url(url)
        manager = FetchManager(spider.name, {"url": url, "meta": {"requested_url": url}, "errback": "on_error"})
        manager.settings = self.crawl_settings
        done = manager.crawl()
        done.addTimeout(self.timeout, reactor, onTimeoutCancel=lambda *_: self._stop(manager))
        done.addCallback(lambda result: self.answer(manager, url, result))
        return done

    def _stop(self, manager: FetchManager) -> None:
        if manager.crawler is not None and manager.crawler.crawling:
            manager.crawler.stop()
        raise Failed(504, f"timed out: no answer within API_TIMEOUT={self.timeout:g} s")

    def answer(self, manager: FetchManager, url: str, result: dict[str, Any]) -> dict[str, Any]:
        if dropped := result.get("items_dropped"):
            raise Failed(422, str(dropped[0]["exception"]))
        failures = getattr(manager.crawler.spider, "failures", []) if manager.crawler else []
        if failures:
            reason = refusal_for(failures[-1][1])
            raise Failed(status_for(reason), reason)
        items = result.get("items") or []
        if not items:
            raise Failed(422, NO_ARTICLE)
        stored = read_back(self.crawl_settings, [items[0].url])
        if items[0].url not in stored:
            raise Failed(503, not_stored(self.crawl_settings))
        return stored[items[0].url]
