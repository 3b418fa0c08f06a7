from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.extract.article import extract_article
from crawler.extract.dates import parse_datetime, relative_time

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年03月15日15:30:23 科技 1970", datetime(2025, 3, 15, 15, 30, 23, tzinfo=CST)),
        ("Wilson (42865)发表于 2024年10月18日 22时58分 星期五", datetime(2024, 10, 18, 22, 58, tzinfo=CST)),
        ("2023-12-16 10:25:32 来源: 澎湃新闻", datetime(2023, 12, 16, 10, 25, 32, tzinfo=CST)),
        ("2026-03-18T10:30:00+08:00", datetime(2026, 3, 18, 10, 30, tzinfo=CST)),
        ("2024-06-25T02:00:00Z", datetime(2024, 6, 25, 10, 0, tzinfo=CST)),
        ("2024/6/25 10:05", datetime(2024, 6, 25, 10, 5, tzinfo=CST)),
    ],
)
def test_page_times_parse_to_the_minute_with_their_zone(text: str, expected: datetime) -> None:
    value = parse_datetime(text, "Asia/Shanghai")
    assert value == expected
    assert value is not None and value.utcoffset() is not None


def test_a_stated_offset_wins_over_the_default_zone() -> None:
    value = parse_datetime("2024-06-25T10:00:00-05:00", "Asia/Shanghai")
    assert value is not None and value.utcoffset() == timedelta(hours=-5)


def test_text_without_a_date_gives_none() -> None:
    assert parse_datetime("没有日期的文字", "Asia/Shanghai") is None
    assert parse_datetime("2024年13月45日 25:99", "Asia/Shanghai") is None


# The real AIbase page of tests/fixtures, with its JSON-LD datePublished replaced by the placeholder
# dates real sites emit: the .NET default and the "never" of some CMSs.
@pytest.mark.parametrize(
    ("stated", "why"),
    [("0001-01-01T00:00:00", "before 1990"), ("9999-12-31T23:59:59Z", "after the fetch")],
)
def test_a_page_stating_a_date_no_article_can_have_is_stored_without_it(
    stated: str, why: str, site, crawler_env, articles, tmp_path
) -> None:
    from tests.conftest import page_bytes, run_crawler

    page = page_bytes("aibase").replace(b"2026-03-18T10:30:00+08:00", stated.encode())
    url = site.add("/zh/news/26012.html", page)
    fetch = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert fetch.returncode == 0, fetch.stderr
    stored = articles.find_one({"url": url})
    assert stored["title"] == "微软警告OpenAI:与亚马逊的云协议可能引发法律战"
    assert stored["published_ignored"] == f"{stated} ({why})"
    assert (stored["published_at"], stored["published_precision"]) == (None, None)


def test_a_time_after_the_fetch_is_no_evidence_but_one_within_a_day_is() -> None:
    from crawler.extract.dates import FoundTime, implausible

    fetched = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    at = lambda value: FoundTime(value, str(value), "minute")  # noqa: E731
    assert implausible(at(fetched + timedelta(hours=23)), fetched) is None  # a zone's midnight ahead
    assert implausible(at(fetched + timedelta(days=2)), fetched) == "after the fetch"
    assert implausible(at(datetime(1989, 12, 31, tzinfo=CST)), fetched) == "before 1990"
    assert implausible(at(datetime(1, 1, 1, tzinfo=CST)), fetched) == "before 1990"  # year 0 in UTC
    last = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
    assert implausible(at(last), fetched) == "after the fetch"  # year 10000 in UTC


FETCHED = datetime(2026, 12, 5, 2, 47, 30, tzinfo=UTC)  # 10:47 in Shanghai


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("刚刚", datetime(2026, 12, 5, 10, 47, tzinfo=CST), "minute"),
        ("5分钟前", datetime(2026, 12, 5, 10, 42, tzinfo=CST), "minute"),
        ("3小时前", datetime(2026, 12, 5, 7, 47, tzinfo=CST), "hour"),
        ("发布于 3 小時前", datetime(2026, 12, 5, 7, 47, tzinfo=CST), "hour"),
        ("2天前", datetime(2026, 12, 3, tzinfo=CST), "day"),
        ("昨天 10:20", datetime(2026, 12, 4, 10, 20, tzinfo=CST), "minute"),
        ("昨天", datetime(2026, 12, 4, tzinfo=CST), "day"),
        ("前天 23:59", datetime(2026, 12, 3, 23, 59, tzinfo=CST), "minute"),
        ("今日头条 2小时前", datetime(2026, 12, 5, 8, 47, tzinfo=CST), "hour"),
        ("3 hours ago", datetime(2026, 12, 5, 7, 47, tzinfo=CST), "hour"),
    ],
)
def test_a_time_stated_against_the_reading_is_read_against_the_fetch_with_its_precision(
    text: str, value: datetime, precision: str
) -> None:
    found = relative_time(text, FETCHED, "Asia/Shanghai")
    assert found is not None and (found.value, found.precision) == (value, precision)


@pytest.mark.parametrize("text", ["今天 11:20", "今日头条", "昨天上午", "3 个月前", "第3天"])
def test_no_relative_time_after_the_fetch_and_none_in_names_or_phrases(text: str) -> None:
    assert relative_time(text, FETCHED, "Asia/Shanghai") is None


def test_an_article_page_that_says_3_hours_ago_gets_the_hour_before_the_fetch_not_a_date() -> None:
    """Hand-built after AIbase's list-style bylines (its saved page states an absolute time)."""
    html = (
        "<html><head><title>OpenAI 发布新模型 | AIbase</title></head><body><h1>OpenAI 发布新模型</h1>"
        "<div class='meta'><span class='author'>AIbase基地</span> <span class='time'>3小时前</span></div>"
        "<div class='post-content'><p>"
        + "OpenAI 今天发布了新的推理模型，在多项基准测试中取得了领先成绩。"
        * 3
        + "</p></div>"
        "</body></html>"
    )
    article = extract_article(
        html, "https://example.com/n/1", "generic", (), "Asia/Shanghai", fetched_at=FETCHED
    ).article
    assert (article.published_at, article.published_raw, article.published_precision) == (
        datetime(2026, 12, 5, 7, 47, tzinfo=CST),
        "3小时前",
        "hour",
    )
