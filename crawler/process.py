"""A stored page through the real spider's extraction and the cleaning step, without a crawl:
for fixtures, benchmarks and tests. Bytes go through Scrapy's own decoding, as in a crawl."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.clean import clean_article
from crawler.items import Article
from crawler.sources import ALL_SPIDERS


def process_page(body: bytes, url: str, source: str, content_type: str = "text/html") -> Article:
    spider = ALL_SPIDERS[source]()
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})
    article = spider.extract(response)
    clean_article(article, spider.spec.noise)
    return article
