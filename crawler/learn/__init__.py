"""Learning a source from the site itself (`crawler source add`): which of its URLs are articles
(urls.py), which templates its article pages share and the selectors that read each (layouts.py),
which blocks inside the body recur as noise (noise.py), and the source made of them with the
report of how (source.py). Plain functions over URLs and fetched pages, testable without a crawl:
the probe and the sample are fetched by crawler/spiders/probe.py, the files written by
crawler/cli/source.py."""
