"""The discovery readers on whole documents, without a crawl. No real feed, sitemap or channel list
is saved among the shared page sets, so these are hand-built after the real formats (Atom 1.0,
RSS 1.0 with Dublin Core dates, the sitemaps.org and Google News schemas, NetEase's
`data_callback([...])` channel lists); the pages they lead to, in tests/test_discovery.py, are real."""

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from crawler.discovery.documents import read_document, recognise
from crawler.discovery.entries import Entry
from crawler.discovery.jsonlists import JsonFields, read_json
from crawler.discovery.sitemaps import read_robots, read_sitemap, unpacked, w3c_datetime
from crawler.failures import NotJSON, TooLarge

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Solidot</title>
  <link href="https://www.solidot.org/" rel="alternate"/>
  <entry>
    <title>OpenAI \xe5\x92\x8c\xe5\xbe\xae\xe8\xbd\xaf</title>
    <link href="https://www.solidot.org/story?sid=83001" rel="alternate"/>
    <id>tag:solidot.org,2026:83001</id>
    <published>2026-12-01T10:21:00+08:00</published>
    <updated>2026-12-01T11:00:00+08:00</updated>
  </entry>
  <entry>
    <title>second</title>
    <link rel="alternate" type="text/html" href="https://www.solidot.org/story?sid=83002"/>
    <id>tag:solidot.org,2026:83002</id>
    <updated>2026-11-30T08:00:00Z</updated>
  </entry>
</feed>"""

RSS1 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.solidot.org/">
    <title>Solidot</title><link>https://www.solidot.org/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://www.solidot.org/story?sid=83003"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://www.solidot.org/story?sid=83003">
    <title>third</title><link>https://www.solidot.org/story?sid=83003</link>
    <dc:date>2026-12-01T09:30:00+08:00</dc:date>
  </item>
</rdf:RDF>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://www.aibase.com/zh/news/23001</loc>
    <news:news>
      <news:publication><news:name>AIbase</news:name><news:language>zh</news:language></news:publication>
      <news:publication_date>2026-12-01T08:15:00+08:00</news:publication_date>
      <news:title>\xe6\x96\xb0\xe9\x97\xbb</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://www.aibase.com/zh/news/23002</loc>
    <lastmod>2026-11-20</lastmod>
    <news:news><news:publication_date>2026-11-20</news:publication_date><news:title>old</news:title></news:news>
  </url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.aibase.com/sitemap-1.xml.gz</loc><lastmod>2026-12-01T06:00:00+00:00</lastmod></sitemap>
  <sitemap><loc>https://www.aibase.com/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url>
    <loc>https://www.aibase.com/news/23003</loc>
    <lastmod>2026-12-01T07:00:00+08:00</lastmod>
    <xhtml:link rel="alternate" hreflang="zh" href="https://www.aibase.com/zh/news/23003"/>
  </url>
</urlset>"""

JSONP = """data_callback([
{"title":"字节跳动回应","digest":"","docurl":"https://www.163.com/dy/article/JH3M8N2V0511B8LM.html",
 "commenturl":"https://comment.tie.163.com/JH3M8N2V0511B8LM.html","tienum":"120","tlastid":"",
 "label":"其它","keywords":[{"akey_link":"/keywords/5/4/5b578282/1.html","keyname":"字节跳动"}],
 "time":"12/01/2026 10:21:03","newstype":"article","imgurl":"https://cms-bucket.ws.126.net/1.png","add1":""},
{"title":"第二条","docurl":"https://www.163.com/dy/article/JH3M8N2V0511B8LN.html",
 "time":"11/20/2026 08:00:00"}
]);"""

NETEASE = JsonFields(time_format="%m/%d/%Y %H:%M:%S")
SHANGHAI = datetime(2026, 12, 1, 2, 21, 3, tzinfo=UTC)  # 10:21:03 in Asia/Shanghai


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (ATOM, "feed"),
        (RSS1, "feed"),
        (b'<?xml version="1.0"?>\n<!-- a comment -->\n<rss version="2.0"><channel/></rss>', "feed"),
        (NEWS_SITEMAP, "sitemap"),
        (INDEX, "sitemap"),
        (JSONP.encode(), "json"),
        (b'\xef\xbb\xbf[{"url": "x"}]', "json"),
        (b"User-agent: *\nDisallow: /admin\nSitemap: https://www.aibase.com/sitemap_index.xml\n", "robots"),
        (b"<!DOCTYPE html><html><body><a href='/a'>a</a></body></html>", "html"),
    ],
)
def test_a_document_is_told_by_what_it_is_not_by_its_name(body: bytes, kind: str) -> None:
    assert recognise(body) == kind


def test_atom_entries_have_their_href_links_and_dates() -> None:
    listing = read_document(
        "feed", ATOM, "", "https://www.solidot.org/index.atom", JsonFields(), "Asia/Shanghai"
    )
    assert listing.kind == "feed"
    assert listing.entries == [
        Entry(
            "https://www.solidot.org/story?sid=83001",
            published=datetime(2026, 12, 1, 2, 21, tzinfo=UTC),
            modified=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
            title="OpenAI 和微软",
        ),
        Entry(
            "https://www.solidot.org/story?sid=83002",
            published=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
            modified=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
            title="second",
        ),
    ]


def test_rss_1_0_items_have_their_dublin_core_dates() -> None:
    listing = read_document(
        "feed", RSS1, "", "https://www.solidot.org/index.rdf", JsonFields(), "Asia/Shanghai"
    )
    assert [(e.url, e.published) for e in listing.entries] == [
        ("https://www.solidot.org/story?sid=83003", datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    ]


def test_a_news_sitemap_gives_publication_dates_titles_and_precision() -> None:
    listing = read_sitemap(NEWS_SITEMAP, "Asia/Shanghai")
    assert listing.kind == "news_sitemap"
    first, second = listing.entries
    assert (first.url, first.published, first.precision, first.title) == (
        "https://www.aibase.com/zh/news/23001",
        datetime(2026, 12, 1, 0, 15, tzinfo=UTC),
        "second",
        "新闻",
    )
    assert (second.published, second.precision) == (datetime(2026, 11, 19, 16, 0, tzinfo=UTC), "day")
    # a day-only date covers its whole day: not too old until that day has ended
    day_end = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert not second.older_than(day_end - timedelta(minutes=1)) and second.older_than(
        day_end + timedelta(minutes=1)
    )


def test_an_index_lists_its_sitemaps_to_follow_and_a_urlset_its_alternates() -> None:
    index = read_sitemap(INDEX, "Asia/Shanghai")
    assert (index.kind, index.entries) == ("sitemap_index", [])
    assert [(e.url, e.modified) for e in index.follow] == [
        ("https://www.aibase.com/sitemap-1.xml.gz", datetime(2026, 12, 1, 6, 0, tzinfo=UTC)),
        ("https://www.aibase.com/sitemap-2.xml.gz", None),
    ]
    urlset = read_sitemap(URLSET, "Asia/Shanghai")
    assert urlset.kind == "sitemap"
    assert urlset.entries == [
        Entry(
            "https://www.aibase.com/news/23003",
            modified=datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
            alternates=("https://www.aibase.com/zh/news/23003",),
        )
    ]


def test_robots_txt_names_its_sitemaps() -> None:
    robots = b"User-agent: *\nDisallow: /search\nSitemap: /sitemap_index.xml\nsitemap: https://www.aibase.com/news.xml\n"
    assert [e.url for e in read_robots(robots, "https://www.aibase.com/robots.txt").follow] == [
        "https://www.aibase.com/sitemap_index.xml",
        "https://www.aibase.com/news.xml",
    ]


def test_a_gzipped_sitemap_is_inflated_within_the_size_limit() -> None:
    packed = gzip.compress(URLSET)
    assert unpacked(packed, 10_000) == URLSET
    assert unpacked(URLSET, 10) == URLSET  # not gzip: as it is
    with pytest.raises(TooLarge, match="past the download size limit"):
        unpacked(gzip.compress(b"<urlset>" + b" " * 100_000 + b"</urlset>"), 10_000)


def test_a_jsonp_channel_list_is_parsed_as_json_with_the_sources_time_format() -> None:
    listing = read_json(JSONP, NETEASE, "Asia/Shanghai")
    assert listing.kind == "json"
    assert [(e.url, e.published, e.title) for e in listing.entries] == [
        ("https://www.163.com/dy/article/JH3M8N2V0511B8LM.html", SHANGHAI, "字节跳动回应"),
        (
            "https://www.163.com/dy/article/JH3M8N2V0511B8LN.html",
            datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
            "第二条",
        ),
    ]  # keywords' relative `akey_link` and `commenturl` are not entries: neither is a declared URL key


def test_json_lists_take_epoch_times_and_nested_objects() -> None:
    text = (
        '{"code": 0, "data": {"list": [{"url": "https://www.aibase.com/zh/news/1", "publish_time": '
        "1764555663000}]}}"
    )
    assert read_json(text, JsonFields(), "Asia/Shanghai").entries == [
        Entry("https://www.aibase.com/zh/news/1", published=datetime(2025, 12, 1, 2, 21, 3, tzinfo=UTC))
    ]


def test_a_broken_json_list_is_a_clear_error() -> None:
    with pytest.raises(NotJSON, match="not a JSON list"):
        read_json('data_callback([{"title": "x",', NETEASE, "Asia/Shanghai")


def test_a_feed_cannot_read_local_files_through_an_external_entity() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><item><title>&xxe;</title><link>https://www.solidot.org/story?sid=1&xxe;</link>'
        b"</item></channel></rss>"
    )
    assert read_document(
        "feed", hostile, "", "https://www.solidot.org/index.rss", JsonFields(), "Asia/Shanghai"
    ).entries == [Entry("https://www.solidot.org/story?sid=1")]


def test_a_feed_date_without_a_time_of_day_keeps_day_precision() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<item><link>https://www.solidot.org/story?sid=5</link><pubDate>Tue, 01 Dec 2026</pubDate></item>"
        b"<item><link>https://www.solidot.org/story?sid=6</link><pubDate>Tue, 01 Dec 2026 10:00:00 "
        b"+0800</pubDate></item>"
        b"</channel></rss>"
    )
    day, minute = read_document(
        "feed", rss, "", "https://www.solidot.org/index.rss", JsonFields(), "Asia/Shanghai"
    ).entries
    assert (day.published, day.precision) == (datetime(2026, 12, 1, tzinfo=UTC), "day")
    assert (minute.published, minute.precision) == (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "second")
    assert not day.older_than(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))  # the day is not over yet


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2026-12-01", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "day"),
        ("2026-12-01T08:15+08:00", datetime(2026, 12, 1, 0, 15, tzinfo=UTC), "minute"),
        ("2026-12-01T08:15:30Z", datetime(2026, 12, 1, 8, 15, 30, tzinfo=UTC), "second"),
        (
            "2026-12-01 08:15:30",
            datetime(2026, 12, 1, 0, 15, 30, tzinfo=UTC),
            "second",
        ),  # no zone: the source's
        (
            "2026年12月1日 08:15",
            datetime(2026, 12, 1, 0, 15, tzinfo=UTC),
            "minute",
        ),  # not W3C: read as any date text
    ],
)
def test_sitemap_dates_keep_their_zone_and_precision(text: str, value: datetime, precision: str) -> None:
    found = w3c_datetime(text, "Asia/Shanghai")
    assert found is not None and (found.value, found.precision) == (value, precision)
