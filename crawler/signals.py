"""The project's own signals, beside Scrapy's: sent through the crawler's SignalManager."""

run_recorded = object()  # record={...}: a discovery run's record is in the store; handlers may return a Deferred
