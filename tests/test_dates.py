from datetime import datetime, timedelta, timezone

import pytest

from crawler.extract.dates import parse_datetime

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
