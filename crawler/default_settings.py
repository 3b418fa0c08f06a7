"""Every project setting's default, grouped by prefix.

docs/settings.md documents each name; tests/test_docs.py fails when the two lists differ.
Settings named in ENV_SETTINGS can also be given as environment variables of the same name.
"""

# --- MongoDB store -------------------------------------------------------------------------
MONGO_URI: str | None = None  # None: start the embedded SecantusDB server on MONGO_EMBEDDED_PATH
MONGO_DATABASE = "news"
MONGO_COLLECTION = "articles"
MONGO_EMBEDDED_PATH = "data/mongo"
MONGO_EMBEDDED_IDLE_EXIT = 300.0  # seconds the embedded server lives on without a client; 0: for ever
MONGO_TIMEOUT_MS = 5000  # milliseconds to find a server, per attempt of a write
MONGO_OUTAGE_LIMIT = 120.0  # seconds a crawl waits for a stopped store; then it spools and ends
MONGO_BATCH_SIZE = 100  # articles per bulk_write
MONGO_FLUSH_INTERVAL = 5.0  # seconds a partial batch may wait

MONGO_CRAWLS_COLLECTION = "crawls"  # one run record per discovery crawl of a source
MONGO_COUNTERS_COLLECTION = "daily_counts"  # per source and day: articles stored, copies among them
MONGO_SOURCES_COLLECTION = "sources"  # per source: its last run, and totals since the store began
MONGO_VALIDATORS_COLLECTION = "http_validators"  # ETag / Last-Modified of listing pages, per URL
MONGO_VERSIONS_COLLECTION = "article_versions"  # one document per stored version of an article
MONGO_CAPTURES_COLLECTION = "captures"  # one document per WARC record kept: URL and time to file and offset

# --- Incremental crawling -------------------------------------------------------------------------
INCREMENTAL_ENABLED = True  # discovery skips article pages already stored...
INCREMENTAL_RECHECK_HOURS = 48.0  # ...unless published (or first stored) this recently: edits are caught
RECHECK_SCHEDULE = (
    "1h, 6h, 24h, 72h, 7d"  # ages after first seen at which a round fetches an article again; "": never
)
RECHECK_MAX_PER_RUN = 1000  # re-checks one round of a source makes at most, the longest due first
DISCOVERY_MAX_AGE_HOURS = 72.0  # feed, sitemap and JSON entries dated before this are never requested; 0: all

# --- Scheduler: `crawler schedule` ------------------------------------------------------------------
SCHEDULE_DEFAULT = "every 30m"  # "every N{s,m,h,d}" or a crontab line ("*/15 * * * *")
SCHEDULES: dict[str, str] = {}  # per source, e.g. {"solidot": "every 10m", "netease": "0 * * * *"}
SCHEDULE_JITTER = 60  # seconds of random delay, so sources do not all start together
SCHEDULE_TIMEZONE = "Asia/Shanghai"  # zone of crontab lines
DISPLAY_TIMEZONE = "Asia/Shanghai"  # zone of the times people read: crawler status, the dashboard, alerts
SOURCE_START_URLS: dict[str, list[str]] = {}  # per source, discovery URLs instead of the module's own

# --- Sources added as files: `crawler source add` (crawler/sources/files.py, crawler/learn/) -------
SOURCES_DIR = "sources"  # the added sources' TOML files and their evidence; read by every command
SOURCE_SAMPLE_PAGES = 40  # article pages `crawler source add` fetches at most to learn a site from
SOURCE_LAYOUT_MIN_PAGES = 3  # sampled pages a template needs to become a layout; fewer: the generic path

# --- Layout drift: checks on every run (crawler/monitors.py); a run below one is "degraded" ---------
MONITOR_MIN_ARTICLES = 5  # article pages a run needs before it is judged
MONITOR_MIN_STORED_SHARE = 0.8  # articles stored / article pages fetched
MONITOR_MIN_FIELD_SHARE = {"title": 0.95, "body": 0.9, "published_at": 0.8}  # share of articles with each
MONITOR_MIN_BODY_RATIO = 0.5  # median body length / its median over the source's recent runs
MONITOR_MAX_FALLBACK_SHARE = 0.2  # article pages whose source layout fell back to the generic path
MONITOR_HISTORY_RUNS = 10  # recent runs of the source that make "usual"

ALERT_WEBHOOKS: (
    list[dict[str, str]] | str
) = []  # [{"kind": "dingtalk", "url": ..., "secret": ...}], or that as JSON
ALERT_STALE_RUNS = 3  # runs in a row without a new article that make a source stale
ALERT_TIMEOUT = 10.0  # seconds all of one run's alerts may take to deliver, retries included
ALERT_RETRIES = 2  # further attempts after a failed delivery, within ALERT_TIMEOUT

# --- Memory -----------------------------------------------------------------------------------------
GC_FREEZE_AT_START = True  # freeze the process's start-up objects once its first crawl runs (gcfreeze.py)

# --- Politeness ------------------------------------------------------------------------------------
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry of a 5xx or timeout; doubles each time
RETRY_BACKOFF_MAX = 30.0  # seconds, the longest wait before a retry

# --- Distributed crawling (crawler/frontier/): off unless REDIS_URL is set ---------------------------
REDIS_URL: str | None = None  # e.g. redis://redis:6379/0; set: discovery crawls share one frontier
REDIS_PARAMS: dict = {}  # extra redis-py client arguments (scrapy-redis's setting)
REDIS_OUTAGE_LIMIT = 120.0  # seconds a worker waits for a stopped Redis at start and at exit
FRONTIER_LEASE_TIMEOUT = 30.0  # seconds a stopped worker's heartbeat lives; then its requests are requeued
FRONTIER_POLL_INTERVAL = 0.5  # seconds between an idle worker's looks at the queue (and lease acks)
FRONTIER_SEEN_TTL = 86400  # seconds a round's duplicate filter lives after its last addition
FRONTIER_MAX_DELIVERIES = 3  # a request handed out this often, each time to a worker that died, is set aside
FRONTIER_SEED_ON_START = True  # `crawl` seeds a new round (or joins one); `crawler worker` does not
ROUND_DEADLINE = (
    14400.0  # seconds a distributed round may run; then it is recorded degraded, the rest set aside
)
FRONTIER_EXIT_WHEN_EMPTY = True  # `crawl` ends when nothing is queued or leased; `crawler worker` never
POLITENESS_MAX_PAUSE = 300.0  # seconds, the longest a 429/503 Retry-After pauses a host for every worker

# --- Spool: writes the store could not take ---------------------------------------------------
SPOOL_PATH = "data/spool/articles.jsonl"

# --- Evidence: every page kept as fetched -------------------------------------------------------
WARC_CAPTURE = True  # every HTTP response a crawl, re-check or fetch receives, written to WARC as received
WARC_DIR = "data/warc"  # this machine's WARC files, one writer's files per process (compose: a volume)
WARC_MAX_BYTES = 1_000_000_000  # a WARC file is finished at this size and the next one begun
WARC_KEEP_DAYS = 0  # finished WARC files older than this many days are deleted, whole; 0: kept for good

# --- Extraction and cleaning --------------------------------------------------------------------
CLEAN_MIN_BODY_CHARS = 40  # a cleaned body shorter than this is "no article text"
TITLE_MAX_CHARS = 500  # a longer title is cut here, and extracted_why says so
EXTRACT_THREADS = 0  # threads a crawl extracts, cleans and fingerprints pages in; 0: on the reactor thread
ARTICLE_MAX_PAGES = 20  # pages of one multi-page article fetched and stitched; the rest is left, and said

# --- Near-duplicates (crawler/dedup/similarity.py explains how they were chosen) ---------------
DEDUP_MATCH_DISTANCE = 2  # bits two sentence-unit simhashes may differ by
DEDUP_MIN_COVERAGE = 0.35  # share of the shorter article found in the other for a copy
DEDUP_MIN_SHARED_UNITS = 2  # sentence units two copies must share at least
DEDUP_COMMON_UNIT_CLUSTERS = 20  # a unit found in this many story groups is boilerplate, not evidence

# --- On-demand fetch ----------------------------------------------------------------------------
FETCH_TIMEOUT = 30  # seconds `crawler fetch` may take in all, retries included (also each download's limit)

# --- HTTP front: `crawler api` (safe to expose only with API_TOKEN set; see docs/http-api.md) ------
API_HOST = "127.0.0.1"  # address to bind; 0.0.0.0 exposes it to the network
API_PORT = 9080
API_TOKEN: str | None = None  # when set, requests need `Authorization: Bearer <token>`
API_ALLOW = ""  # comma-separated hosts or networks admitted despite the private-address rules
API_TIMEOUT = 30.0  # seconds a request may take, download and storing included
API_MAX_BYTES = 5 * 1024 * 1024  # largest response body fetched, after decompression
API_MAX_BODY = 64 * 1024  # largest request body the API reads; larger ones get 413 before any is read
API_EXTRACT_PROCESSES = 2  # processes the API extracts pages in (crawler/pagework.py); 0: EXTRACT_THREADS
API_HEADER_TIMEOUT = 10.0  # seconds a request's headers may take to come in whole (then 408)
API_MAX_CONNECTIONS = 256  # connections open at once; one more gets 503 and is closed
API_SESSION_HOURS = 12.0  # hours the dashboard's session cookie (set by /?token=) opens its pages
API_GUARD_ENABLED = False  # refuse private/local targets; `crawler api` always turns it on

ENV_SETTINGS = (
    "MONGO_URI",
    "MONGO_DATABASE",
    "MONGO_COLLECTION",
    "MONGO_EMBEDDED_PATH",
    "MONGO_EMBEDDED_IDLE_EXIT",
    "SPOOL_PATH",
    "WARC_DIR",
    "SOURCES_DIR",
    "API_TOKEN",
    "API_ALLOW",
    "REDIS_URL",
    "ALERT_WEBHOOKS",
)
