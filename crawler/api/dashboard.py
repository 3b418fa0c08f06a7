"""The operator's dashboard and /metrics, served by `crawler api` beside /fetch: read-only, under
the same token and binding rules. Pages are built in the store's threads (the store is read with
blocking calls), so a slow query never holds up the reactor or a running /fetch."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from redis.exceptions import RedisError
from scrapy.http import TextResponse
from scrapy.settings import BaseSettings, Settings
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from crawler.api.http import query_arg
from crawler.api.storecalls import StoreCalls
from crawler.api.token import SESSION_COOKIE, authorised, matches, session
from crawler.archive.warcfiles import Captured, kept_file, read_fetch, record_bytes
from crawler.dashboard.pages import chart, render
from crawler.display import display_zone
from crawler.failures import StoreUnavailable
from crawler.frontier.rounds import Round, rounds_under_way
from crawler.frontier.workers import snapshot
from crawler.pagework import PageWork
from crawler.recurring import next_run, triggers
from crawler.runs import STATUSES
from crawler.sources import Registry, registry_of
from crawler.store import dashboard as queries
from crawler.store.client import StoreClient
from crawler.store.search import searchable
from crawler.store.spool import Spool

HTML = b"text/html; charset=utf-8"
Build = Callable[[StoreClient, Request], tuple[int, bytes, bytes]]  # a page: (status, content type, body)
logger = logging.getLogger(__name__)


class Page(Resource):
    """One dashboard page: `build(request)` returns (status, content type, body), run in a thread."""

    isLeaf = True

    def __init__(self, settings: Settings, calls: StoreCalls, build: Build, cookies: bool = True) -> None:
        super().__init__()
        self.settings, self.calls, self.build = settings, calls, build
        self.token: str | None = settings.get("API_TOKEN") or None
        self.cookies = cookies  # the session cookie opens it (a page for people), or the header only

    def render_GET(self, request: Request) -> bytes | int:  # noqa: N802 - Twisted's name
        request.setHeader(
            b"Content-Security-Policy",
            b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
            b"frame-ancestors 'none'",
        )
        request.setHeader(b"X-Content-Type-Options", b"nosniff")
        request.setHeader(b"X-Frame-Options", b"DENY")
        given = query_arg(request, b"token")
        now = time.time()
        if given and self.token and matches(given, self.token) and self.cookies:  # a browser's way in
            lifetime = int(self.settings.getfloat("API_SESSION_HOURS") * 3600)
            request.addCookie(
                SESSION_COOKIE,
                session(self.token, int(now) + lifetime),
                path="/",
                max_age=str(lifetime),
                httpOnly=True,
                sameSite="strict",
            )
            request.redirect(same_page_without_token(request))
            return b""
        if not authorised(request, self.token, now if self.cookies else None):
            request.setResponseCode(401)
            request.setHeader(b"Content-Type", HTML)
            request.setHeader(b"WWW-Authenticate", b"Bearer")
            how = "Open this page once as /?token=API_TOKEN, or send" if self.cookies else "Send"
            return render("message.html", heading="401", text=f"{how} Authorization: Bearer API_TOKEN.")
        built = self.calls.call(self.build, self.calls.store.client, request)
        built.addErrback(self.failure_page).addCallback(lambda page: self.finish(request, *page))
        return NOT_DONE_YET

    @staticmethod
    def failure_page(failure: Failure) -> tuple[int, bytes, bytes]:
        if failure.check(StoreUnavailable):  # expected while the store is down: one line, no traceback
            logger.warning("dashboard page not built: the store is unreachable (%s)", failure.value)
            return 503, HTML, render("message.html", heading="503", text="the store is unreachable")
        logger.error("dashboard page failed: %s", failure.getTraceback())
        return 500, HTML, render("message.html", heading="500", text="this page failed; the log says why")

    @staticmethod
    def finish(request: Request, status: int, kind: bytes, body: bytes) -> None:
        if request.finished or request.channel is None:  # the browser went away meanwhile
            return
        request.setResponseCode(status)
        request.setHeader(b"Content-Type", kind)
        request.write(body)
        request.finish()


def overview_of(
    store: StoreClient, settings: BaseSettings, now: datetime, sources: Registry
) -> dict[str, Any]:
    """The overview's figures: every source's row, with when its schedule runs it next."""
    plan = triggers(list(sources.specs), settings)  # `generic` has none: it runs on demand only

    def next_run_of(name: str, last: datetime | None) -> datetime | None:
        return next_run(plan[name], last, now) if name in plan else None

    return queries.overview(store.database, settings, now, list(sources.all_specs), next_run_of)


def overview(settings: Settings) -> Build:
    sources = registry_of(settings)

    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        data = overview_of(store, settings, datetime.now(UTC), sources)
        data["running"] = running_rounds(settings, list(sources.specs))
        svg = chart(data["days"], data["per_day"], list(sources.all_specs))
        return (
            200,
            HTML,
            render(
                "overview.html",
                display_zone(settings),
                sources=data["sources"],
                days=data["days"],
                chart=svg,
                running=data["running"],
            ),
        )

    return build


def source(settings: Settings) -> Build:
    sources = registry_of(settings)

    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        db = store.database
        name = (request.postpath or [b""])[0].decode("utf-8", "replace")
        if name not in sources.all_specs:
            return 404, HTML, render("message.html", heading="404", text=f"no source named {name}")
        return (
            200,
            HTML,
            render(
                "source.html",
                display_zone(settings),
                running=running_rounds(settings, [name]).get(name, []),
                **queries.source_page(db, settings, name, datetime.now(UTC)),
            ),
        )

    return build


def stories(settings: Settings) -> Build:
    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        db = store.database
        alone = query_arg(request, b"all") == "1"
        groups = queries.stories(db, settings, datetime.now(UTC), alone)
        return 200, HTML, render("stories.html", display_zone(settings), groups=groups, alone=alone)

    return build


def search(settings: Settings) -> Build:
    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        db = store.database
        query = query_arg(request, b"q")[:200]
        asked = bool(query.strip())
        found = queries.found(db, settings, query) if asked and searchable(query) else None
        return (
            200,
            HTML,
            render(
                "search.html",
                display_zone(settings),
                query=query,
                found=found.articles if found else [],
                complete=found is None or found.complete,
                too_short=asked and found is None,
                limit=queries.FOUND,
            ),
        )

    return build


def article(settings: Settings) -> Build:
    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        db = store.database
        url = query_arg(request, b"url")
        found = queries.article(db, settings, url) if url else None
        if found is None:
            return 404, HTML, render("message.html", heading="404", text=f"no article stored at {url}")
        return (
            200,
            HTML,
            render(
                "article.html", display_zone(settings), a=found, timeline=queries.timeline(db, settings, url)
            ),
        )

    return build


def capture(settings: Settings) -> Build:
    """A kept page (a WARC record of WARC_DIR): its answer as text, or `raw=1` the record itself."""

    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        name, offset = query_arg(request, b"file"), query_arg(request, b"offset")
        path = kept_file(Path(settings.get("WARC_DIR")), name)
        if path is None or not offset.isdigit():
            why = f"no WARC file {name!r} in WARC_DIR (removed by WARC_KEEP_DAYS, or another machine's)"
            return 404, HTML, render("message.html", heading="404", text=why)
        try:
            if query_arg(request, b"raw"):
                return 200, b"application/warc", record_bytes(path, int(offset))
            fetch = read_fetch(path.parent, Captured(path.name, int(offset), 0))
        except Exception:  # noqa: BLE001 - warcio raises many kinds where no record begins
            return 404, HTML, render("message.html", heading="404", text=f"no WARC record at {name}@{offset}")
        text = TextResponse(fetch.url, body=fetch.body, headers=dict(fetch.headers)).text
        page = render("capture.html", display_zone(settings), f=fetch, file=name, offset=offset, text=text)
        return 200, HTML, page

    return build


def metrics(settings: Settings, work: PageWork) -> Build:
    sources = registry_of(settings)

    def build(store: StoreClient, request: Request) -> tuple[int, bytes, bytes]:
        registry = CollectorRegistry()
        registry.register(PageWorkCollector(work))
        try:
            counts: dict[str, dict[str, Any]] | None = queries.metric_counts(
                store.database, settings, list(sources.all_specs)
            )
        except StoreUnavailable as exc:  # /metrics still answers, so that the store being down is alerted on
            logger.warning("/metrics: the store is unreachable (%s)", exc)
            counts = None
        registry.register(StoreCollector(counts))
        registry.register(SpoolCollector(Spool(settings.get("SPOOL_PATH"))))
        if settings.get("REDIS_URL"):
            registry.register(FrontierCollector(settings, list(sources.specs)))
        return 200, b"text/plain; version=0.0.4; charset=utf-8", generate_latest(registry)

    return build


def running_rounds(settings: Settings, sources: list[str]) -> dict[str, list[Round]]:
    """Each source's distributed rounds under way (REDIS_URL), with their counts so far; none
    while Redis does not answer (the page says what the store says, and /metrics says Redis is down)."""
    if not settings.get("REDIS_URL"):
        return {}
    try:
        return {name: found for name in sources if (found := rounds_under_way(settings, name))}
    except RedisError as exc:
        logger.warning("dashboard: rounds under way not shown, redis unreachable (%s)", exc)
        return {}


class FrontierCollector:
    """A distributed crawl's frontier and workers, from Redis, read once per scrape: the backlog and
    leases an operator alerts on. `crawler_frontier_up` is 0 while Redis cannot be read."""

    def __init__(self, settings: Settings, sources: list[str]) -> None:
        self.settings = settings
        self.sources = sources  # the API's, read once when it started: not on every scrape

    def collect(self) -> Any:
        up = GaugeMetricFamily("crawler_frontier_up", "1 if the frontier's Redis answered this scrape")
        requests = GaugeMetricFamily(
            "crawler_frontier_requests",
            "Requests in a source's frontier, by state",
            labels=["source", "state"],
        )
        pages = CounterMetricFamily(
            "crawler_worker_pages", "Pages handled by each live worker", labels=["worker"]
        )
        try:
            depths, workers = snapshot(self.settings, list(self.sources))
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for name, depth in depths.items():
            for state in ("queued", "leased", "dead"):
                requests.add_metric([name, state], getattr(depth, state))
        for worker, beat in sorted(workers.items()):
            pages.add_metric([worker], sum(beat["pages"].values()))
        live = GaugeMetricFamily("crawler_workers", "Workers whose heartbeat is alive", value=len(workers))
        rounds = GaugeMetricFamily(
            "crawler_round_in_progress", "The round of a source under way (its number)", labels=["source"]
        )
        round_pages = GaugeMetricFamily(
            "crawler_round_pages", "Pages the round under way has fetched so far", labels=["source"]
        )
        round_new = GaugeMetricFamily(
            "crawler_round_new_articles",
            "New articles the round under way has stored so far",
            labels=["source"],
        )
        for name, under_way in running_rounds(self.settings, list(depths)).items():
            latest = under_way[-1]
            rounds.add_metric([name], latest.number)
            round_pages.add_metric([name], latest.stats.get("downloader/response_count", 0))
            round_new.add_metric([name], latest.stats.get("store/new", 0))
        yield from (up, requests, live, pages, rounds, round_pages, round_new)


class PageWorkCollector:
    """The API's page workers: how many pages wait for one, and how many are being worked on."""

    def __init__(self, work: PageWork) -> None:
        self.work = work

    def collect(self) -> Any:
        yield GaugeMetricFamily(
            "crawler_page_work_queued",
            "Pages waiting for one of the API's page workers (API_EXTRACT_PROCESSES) to be extracted",
            value=self.work.queued(),
        )
        yield GaugeMetricFamily(
            "crawler_page_work_busy", "The API's page workers working on a page now", value=self.work.busy()
        )


class SpoolCollector:
    """Articles this machine's spool holds for a store that was down."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool

    def collect(self) -> Any:
        yield GaugeMetricFamily(
            "crawler_spool_articles",
            "Articles waiting in this machine's spool for the store",
            value=len(self.spool),
        )


class StoreCollector:
    """Prometheus families from the store's run records and counters, read once per scrape;
    `crawler_store_up` is 0 (and the rest absent) while the store cannot be read."""

    def __init__(self, counts: dict[str, dict[str, Any]] | None) -> None:
        self.counts = counts

    def collect(self) -> Any:
        yield GaugeMetricFamily(
            "crawler_store_up", "1 if the store answered this scrape", value=int(self.counts is not None)
        )
        if self.counts is None:
            return
        firing = GaugeMetricFamily(
            "crawler_alert_firing",
            "Alert conditions that hold, per source (1 while firing)",
            labels=["source", "condition"],
        )
        failed = CounterMetricFamily(
            "crawler_alert_delivery_failures",
            "Alert deliveries that failed, by webhook kind",
            labels=["kind"],
        )
        failures: Counter[str] = Counter()
        for name, doc in sorted(self.counts.items()):
            for condition in sorted(doc.get("alerts") or {}):
                firing.add_metric([name, condition], 1)
            failures.update(doc.get("alert_failures") or {})
        for kind, n in sorted(failures.items()):
            failed.add_metric([kind], n)
        yield from (firing, failed)
        runs = CounterMetricFamily("crawler_runs", "Runs per source and status", labels=["source", "status"])
        errors = CounterMetricFamily("crawler_errors", "Failed fetches per source", labels=["source"])
        drops = CounterMetricFamily(
            "crawler_dropped", "Articles dropped per source and reason", labels=["source", "reason"]
        )
        articles = GaugeMetricFamily(
            "crawler_articles_stored", "Articles stored per source", labels=["source"]
        )
        duplicates = GaugeMetricFamily(
            "crawler_duplicates_stored", "Stored articles that are copies of another", labels=["source"]
        )
        for name, doc in sorted(self.counts.items()):
            counted = doc.get("runs") or {}
            for status in STATUSES:  # every status, 0 too: a rate over the first failed run then sees it
                runs.add_metric([name, status], counted.get(status, 0))
            errors.add_metric([name], doc.get("errors", 0))
            for reason, n in sorted((doc.get("dropped") or {}).items()):
                drops.add_metric([name, reason], n)
            articles.add_metric([name], doc.get("articles", 0))
            duplicates.add_metric([name], doc.get("duplicates", 0))
        yield from (runs, errors, drops, articles, duplicates)


def same_page_without_token(request: Request) -> bytes:
    """Where the token link sends the browser once the cookie is set: the same page with the
    same query, less the token, and always a path on this server (`//host/` would be another's)."""
    path = b"/" + (request.path or b"/").lstrip(b"/")
    uri = request.uri.decode("utf-8", "replace")  # a raw UTF-8 query (curl's) as well as a quoted one
    query = [(k, v) for k, v in parse_qsl(urlsplit(uri).query, keep_blank_values=True) if k != "token"]
    return path + (b"?" + urlencode(query).encode("ascii") if query else b"")


def dashboard_children(settings: Settings, calls: StoreCalls, work: PageWork) -> dict[bytes, Resource]:
    pages: dict[bytes, Resource] = {
        name: Page(settings, calls, build(settings))
        for name, build in (
            (b"", overview),
            (b"sources", source),
            (b"stories", stories),
            (b"article", article),
            (b"search", search),
            (b"capture", capture),
        )
    }
    return pages | {b"metrics": Page(settings, calls, metrics(settings, work), cookies=False)}
