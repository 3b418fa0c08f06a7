"""Scrapy settings of this deployment: Scrapy's own knobs plus the project defaults; the documented
environment variables are applied on top by an add-on (crawler/environment.py)."""

from crawler.default_settings import *  # noqa: F403

BOT_NAME = "news-crawler"
SPIDER_LOADER_CLASS = "crawler.spiders.RegistrySpiderLoader"  # each source's spider, made from its spec
SPIDER_MODULES: list[str] = []  # spiders of your own: their modules here, beside the registry's
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "news-crawler/0.1 (Scrapy; operators: put your contact URL here)"
ROBOTSTXT_OBEY = True
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # a download that failed after its retries: expected, one line
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # bytes; news pages are far smaller
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 20  # a redirect loop or a longer chain is "too many redirects"
CLOSESPIDER_PAGECOUNT = 20_000  # pages per run at most: a calendar or pagination trap ends here
# Breadth-first: a listing page's articles are fetched before the pages further down its
# pagination, so the freshest news comes first and the frontier holds about a page of links,
# not every link of a deep pagination (Scrapy's default order is depth-first).
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy's check for a callback that returns a value from a generator reads and parses the
# callback's source whenever its cache (weakly keyed by the bound method) has lost it: 5-9 % of a
# crawl's CPU (bench/crawl.py -s WARN_ON_GENERATOR_RETURN_VALUE=True). tests/test_sources.py makes
# the same check of every spider once.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Outputs of one response handled at once. Scrapy starts that many tasks for every response, whatever
# it yields; a page here yields one article or a listing's requests, so 100 (Scrapy's default) is
# pure overhead: 8 makes a crawl 7-16 % faster (bench/crawl.py -s CONCURRENT_ITEMS=100).
CONCURRENT_ITEMS = 8
LOG_LEVEL = "INFO"
# Nothing listens unless asked: Scrapy's telnet console and its remote-control HTTP server are off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's own, raising their refusals as our failure types (crawler/downloads.py)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.downloads.Offsite": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.downloads.Robots": 100,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.downloads.Decompression": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.downloads.Redirects": 600,
    "crawler.api.guard.TargetGuardMiddleware": 50,  # off unless API_GUARD_ENABLED
    "crawler.conditional.ConditionalListingMiddleware": 70,  # ETag / Last-Modified on listing pages
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.backoff.BackoffRetryMiddleware": 550,  # the same retries, with waits that double
    "crawler.frontier.politeness.SharedPolitenessMiddleware": 960,  # with REDIS_URL: limits for all workers
    # next to the downloader: the WARC record of what came over the wire; WARC_CAPTURE
    "crawler.archive.capture.CaptureMiddleware": 990,
}

SPIDER_MIDDLEWARES = {
    "crawler.incremental.IncrementalMiddleware": 800,  # discovery only; INCREMENTAL_ENABLED
    # with REDIS_URL: a lease lasts until its article is stored
    "crawler.frontier.scheduler.LeaseMiddleware": 900,
    # with REDIS_URL: a discovery crawl starts from its round's seed, not the spider's start
    "crawler.frontier.scheduler.RoundSeedMiddleware": 950,
    "crawler.rechecks.RecheckMiddleware": 960,  # a discovery crawl's start: then the due re-checks
}
# With REDIS_URL set, discovery crawls share a frontier in Redis; otherwise this is Scrapy's scheduler.
SCHEDULER = "crawler.frontier.scheduler.ClusterScheduler"

EXTENSIONS = {
    "crawler.store.extension.StoreExtension": 0,  # the crawl's one store client, for every component
    "crawler.pagework.PageWorkExtension": 0,  # the threads pages are extracted in; EXTRACT_THREADS
    "crawler.runs.RunRecorder": 500,
    "crawler.alerts.notifier.AlertNotifier": 510,  # alert conditions after each run; ALERT_WEBHOOKS
    # with REDIS_URL: what this worker holds, shared by the frontier's parts
    "crawler.frontier.scheduler.Leases": 0,
    "crawler.frontier.rounds.RoundRecorder": 505,  # with REDIS_URL: a round is recorded as a run when over
    "crawler.gcfreeze.FreezeStartupObjects": 0,  # GC_FREEZE_AT_START
    "crawler.archive.index.CaptureIndex": 0,  # WARC_CAPTURE: the store's index of the records kept
}

# `scrapy check`: each source's fixture pages, read offline, against their expected JSON
SPIDER_CONTRACTS = {"crawler.contracts.FixtureContract": 10}

ITEM_PIPELINES = {
    "crawler.pipelines.CleanPipeline": 100,
    "crawler.monitors.MonitorPipeline": 150,  # field coverage and body lengths, before any drop
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.DedupPipeline": 300,
    "crawler.pipelines.MongoPipeline": 900,
}

ADDONS = {"crawler.environment.EnvironmentSettings": 0}  # ENV_SETTINGS from the environment
