"""The project's own signals, beside Scrapy's: sent through the crawler's SignalManager."""

run_recorded = (
    object()
)  # record={...}: a discovery run's record is in the store; handlers may return a Deferred
articles_stored = object()  # items=[...]: a batch is in the store or the spool, never lost now
article_checked = object()  # check=Check(...): a re-check that stored no text (a 304, or the article gone)
