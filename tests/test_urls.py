import pytest

from crawler.failures import BadURL
from crawler.sources import BUILT_IN
from crawler.sources.netease import SPEC as NETEASE
from crawler.spiders import spiders_of
from crawler.urls import check_url, normalise_url

ALL_SPIDERS = spiders_of(BUILT_IN)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "HTTPS://WWW.163.COM/dy/article/IMD8QD1L0511B8LM.html#comments",
            "https://www.163.com/dy/article/IMD8QD1L0511B8LM.html",
        ),
        (
            "https://www.solidot.org/story?sid=79532&utm_source=rss&utm_medium=feed",
            "https://www.solidot.org/story?sid=79532",
        ),
        ("http://example.com:80/a?spm=1.2&b=2&fbclid=x", "http://example.com/a?b=2"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
    ],
)
def test_normalise_url_drops_tracking_fragment_and_case(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/a.html", "unsupported URL scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported URL scheme 'file'"),
        ("www.163.com/news", "unsupported URL scheme 'none'"),
        ("http://", "no host name"),
        ("http://[::1/x", "malformed URL"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(BadURL, match=message.replace("(", r"\(").replace("[", r"\[")):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://m.163.com/news/article/IMD8QD1L0511B8LM.html",
        "https://m.163.com/dy/article/IMD8QD1L0511B8LM.html",
        "https://c.m.163.com/news/a/IMD8QD1L0511B8LM.html",
        "https://www.163.com/news/article/IMD8QD1L0511B8LM.html",
        "https://www.163.com/tech/article/IMD8QD1L0511B8LM.html",
        "https://news.163.com/23/1216/10/IMD8QD1L0511B8LM.html",
    ],
)
def test_every_url_of_one_netease_docid_is_the_same_article(url: str) -> None:
    assert NETEASE.canonical(url) == "https://www.163.com/dy/article/IMD8QD1L0511B8LM.html"


def test_a_url_without_the_outlets_article_id_stays_as_it_is() -> None:
    assert NETEASE.canonical("https://www.163.com/news/") == "https://www.163.com/news/"
    assert NETEASE.canonical("https://mirror.example/dy/article/IMD8QD1L0511B8LM.html") == (
        "https://mirror.example/dy/article/IMD8QD1L0511B8LM.html"
    )


def test_download_failures_are_described_in_one_actionable_line() -> None:
    from scrapy import Request
    from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
    from twisted.internet.error import DNSLookupError
    from twisted.python.failure import Failure

    from crawler.failures import Problem, Reason, describe_failure

    assert describe_failure(Failure(DNSLookupError("no.such.host"))) == Problem(
        Reason.DNS_FAILED, "DNS lookup failed"
    )
    failure = Failure(CannotResolveHostError("no.such.host"))
    failure.request = Request("http://no.such.host/a")  # as Scrapy attaches it
    assert describe_failure(failure) == Problem(Reason.DNS_FAILED, "DNS lookup failed for no.such.host")
    timeout = describe_failure(Failure(DownloadTimeoutError("took longer than 1.0 seconds")))
    assert (timeout.reason, timeout.message[:9], timeout.reason.http_status) == (
        Reason.TIMED_OUT,
        "timed out",
        504,
    )


@pytest.mark.parametrize(
    ("source", "forms", "stored"),
    [
        (
            "solidot",
            [
                "https://www.solidot.org/story?sid=79532",
                "https://solidot.org/story?sid=79532",
                "https://m.solidot.org/story?sid=79532",
                "https://www.solidot.org/story?from=rss&sid=79532",
            ],
            "https://www.solidot.org/story?sid=79532",
        ),
        (
            "bannedbook",
            [
                "https://www.bannedbook.org/bnews/itnews/20240625/2054400.html",
                "https://bannedbook.org/bnews/itnews/20240625/2054400.html",
                "https://m.bannedbook.org/bnews/itnews/20240625/2054400.html?amp=1",
            ],
            "https://www.bannedbook.org/bnews/itnews/20240625/2054400.html",
        ),
        (
            "daydaynews",
            [
                "https://daydaynews.cc/zh-hant/technology/8372641.html",
                "https://www.daydaynews.cc/zh-hant/technology/8372641.html",
                "https://m.daydaynews.cc/zh-hant/technology/8372641.html?from=home",
            ],
            "https://daydaynews.cc/zh-hant/technology/8372641.html",
        ),
        (
            "aibase",
            [
                "https://www.aibase.com/zh/news/26345",
                "https://aibase.com/zh/news/26345",
                "https://www.aibase.com/zh/news/26345/?ref=list",
            ],
            "https://www.aibase.com/zh/news/26345",
        ),
    ],
)
def test_every_url_form_of_one_article_id_is_one_document(source: str, forms: list[str], stored: str) -> None:
    spec = ALL_SPIDERS[source].spec
    assert {spec.canonical(normalise_url(url)) for url in forms} == {stored}


def test_a_scheme_is_kept_and_another_language_is_another_article() -> None:
    solidot, aibase = ALL_SPIDERS["solidot"].spec, ALL_SPIDERS["aibase"].spec
    assert solidot.canonical("http://solidot.org/story?sid=7") == "http://www.solidot.org/story?sid=7"
    assert aibase.canonical("https://www.aibase.com/news/26345") != aibase.canonical(
        "https://www.aibase.com/zh/news/26345"
    )


def test_every_source_whose_article_urls_carry_an_id_declares_it() -> None:
    assert [name for name, spider in ALL_SPIDERS.items() if not spider.spec.article_id] == ["generic"]
