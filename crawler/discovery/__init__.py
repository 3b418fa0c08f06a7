"""Reading what leads to articles: sitemaps (indexes, gzipped, news), feeds (RSS 0.9x/2.0, RSS 1.0,
Atom), JSON and JSONP channel lists and robots.txt, each recognised by what it is. Plain functions
over bytes, testable and benchmarkable without a crawl; the spider (spiders/source.py) requests what
they list."""
