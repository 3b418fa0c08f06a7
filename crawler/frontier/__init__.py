"""Distributed crawling: with REDIS_URL set, every worker of a source shares one frontier and one
duplicate filter in Redis. Without it every component here steps aside (the scheduler hands over to
Scrapy's own, the middlewares are not configured) and nothing connects to Redis.

Why Redis Streams with a consumer group, not scrapy-redis's lists or BLMOVE onto per-worker lists:
a request a worker takes stays in the group's pending list, under that worker's name, until the
worker acknowledges it, so a SIGKILL loses nothing; the pending list, its per-worker counts and the
backlog are what `XINFO` reports, so monitoring needs no bookkeeping of our own; handing a dead
worker's leases back is one Lua script over `XPENDING`, atomic against every other worker. With
BLMOVE each worker's list would have to be found, scanned and drained by hand, and nothing would
count how often a request was handed out (here a request that has killed FRONTIER_MAX_DELIVERIES
workers is set aside, not handed to the next one). Streams are first-in first-out, which is the
breadth-first order the single-machine crawl uses too.

The settings are scrapy-redis's (REDIS_URL, REDIS_PARAMS), so a scrapy-redis deployment's carry
over, but none of its code runs: `queue.py` replaces its list with the stream, `codec.py` its
pickled requests with JSON, and `scheduler.py` its scheduler with one that leases
(bench/distributed.py runs plain scrapy-redis beside this, as the peer).
"""
