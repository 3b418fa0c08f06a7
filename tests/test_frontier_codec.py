"""Requests in Redis are JSON: each request a crawl queues reads back exactly as it was written, and
a payload that is not one (a pickle, whose reading would run code) is never unpickled."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler

from crawler import default_settings
from crawler.failures import Unreadable
from crawler.frontier.codec import _plain, _tagged, decode, encode
from crawler.items import Article, RawArticle
from crawler.rechecks import recheck_requests
from crawler.sources import BUILT_IN
from crawler.spiders.source import SourceSpider


@pytest.fixture
def spider():
    cls = SourceSpider.of(BUILT_IN.specs["netease"])
    settings = {k: v for k, v in vars(default_settings).items() if k.isupper()} | {
        "RECHECK_MAX_PER_RUN": 0
    }  # no store
    return cls.from_crawler(get_crawler(cls, settings))


def test_every_kind_of_request_a_crawl_queues_reads_back_exactly(spider) -> None:
    raw = RawArticle(
        Article(
            url="https://www.163.com/dy/article/A.html",
            source="netease",
            site="www.163.com",
            title="标题",
            published_at=datetime(2024, 6, 25, 9, 30, tzinfo=timezone(timedelta(hours=8))),
            images=["https://img/1.jpg"],
            clean_audit={"rules": {"farm": {"blocks": 1}}},
            pages=2,
        ),
        pages_html=["<p>第一页</p>", "<p>第二页</p>"],
        link_texts=frozenset({"相关阅读", "热点推荐"}),
    )
    made = [
        *spider.discovery_requests(),
        *recheck_requests(
            [
                {
                    "url": "https://www.163.com/dy/article/A.html",
                    "etag": '"v1"',
                    "last_modified": "Tue, 25 Jun 2024 01:30:00 GMT",
                }
            ],
            spider.parse,
            spider.on_error,
        ),
        *spider.stitched(
            raw,
            "https://www.163.com/dy/article/A_3.html",
            ["https://www.163.com/dy/article/A.html"],
            "https://www.163.com/dy/article/A.html",
        ),
    ]
    made[-1] = made[-1].replace(
        body=b"\x00\xff bytes", cb_kwargs={"pair": (1, "二")}, priority=-3, flags=["x"]
    )
    assert len(made) >= 3
    for request in made:
        back = decode(encode(request, spider), spider)
        assert back.to_dict(spider=spider) == request.to_dict(spider=spider)
        assert type(back) is type(request) and back.callback == request.callback


def test_a_multi_page_articles_next_page_carries_its_article_whole(spider) -> None:
    raw = RawArticle(
        Article(
            url="https://www.163.com/dy/article/A.html",
            source="netease",
            site="www.163.com",
            capture={"file": "a.warc.gz", "offset": 0, "length": 900},  # where pages 1 and 2 are kept
            page_captures=[{"file": "a.warc.gz", "offset": 900, "length": 800}],
            pages=2,
        ),
        pages_html=["<p>第一页</p>", "<p>第二页</p>"],
        link_texts=frozenset({"下一页"}),
    )
    request = next(
        spider.stitched(raw, "https://www.163.com/dy/article/A_3.html", [raw.article.url], raw.article.url)
    )
    carried = decode(encode(request, spider), spider).meta["raw_article"]
    assert isinstance(carried, RawArticle) and isinstance(carried.article, Article)
    assert carried == request.meta["raw_article"]


def test_a_pickled_payload_is_refused_without_being_unpickled(spider, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    with pytest.raises(Unreadable):
        decode(pickle.dumps(Payload()), spider)
    assert not marker.exists()
    for garbage in (
        b"",
        b"{}",
        b"[1]",
        b'{"url": 1, "$bytes": "!!"}',
        b'{"$bytes": "not base64!"}',
        "é".encode("latin-1"),
    ):
        with pytest.raises((Unreadable, TypeError, ValueError)):
            decode(garbage, spider)


def test_a_value_json_cannot_say_is_refused_when_queued(spider) -> None:
    request = spider.discovery_requests()[0].replace(meta={"when": timedelta(hours=1)})
    with pytest.raises(TypeError, match="timedelta"):
        encode(request, spider)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.datetimes(timezones=st.just(UTC)),
    lambda inner: (
        st.lists(inner)
        | st.tuples(inner, inner)
        | st.frozensets(st.text() | st.integers())
        | st.dictionaries(st.text() | st.sampled_from(["$bytes", "$map"]), inner)
        | st.dictionaries(st.binary(), inner)
    ),
    max_leaves=20,
)


@given(values)
def test_any_value_of_those_kinds_reads_back_as_written(value) -> None:
    assert json.loads(json.dumps(_plain(value)), object_hook=_tagged) == value
