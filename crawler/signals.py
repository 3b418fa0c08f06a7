"""The project's own signals, beside Scrapy's: sent through the crawler's SignalManager."""

run_recorded = (
    object()
)  # record={...}: a discovery run's record is in the store; handlers may return a Deferred
articles_stored = object()  # items=[...]: a batch is in the store or the spool, never lost now
articles_spooled = object()  # spooled=[(url, why)], path=SPOOL_PATH: in the spool (fsynced), not stored
articles_unsaved = object()  # unsaved=[(url, why)]: at the run's end, neither stored nor spooled
article_checked = object()  # check=Check(...): a re-check that stored no text (a 304, or the article gone)
page_captured = object()  # entry={url, fetched_at, status, content_type, file, offset, length}: in WARC
