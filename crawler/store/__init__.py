"""MongoDB storage: the collection's schema and indexes, versioned writes, the spool and the
embedded server. Scrapy-free; the pipeline adapts it."""
