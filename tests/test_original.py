"""Which copy of a story is the original: the copy that ran first, as the evidence says. Each
case is one the old rule got wrong (earliest to the minute, a day-only time read as midnight)."""

from datetime import UTC, datetime

from crawler.dedup.original import choose_original, precision_of
from crawler.sources import BUILT_IN

SHANGHAI_0503 = datetime(2024, 6, 25, 21, 3, tzinfo=UTC)  # 2024-06-26 05:03 +08:00
DAY_0626 = datetime(2024, 6, 25, 16, 0, tzinfo=UTC)  # 2024-06-26 00:00 +08:00: a day-only time


def member(
    url: str,
    source: str,
    site: str,
    published: datetime | None,
    precision: str | None,
    origin: str | None = None,
    first_seen: int = 0,
) -> dict:
    return {
        "url": url,
        "source": source,
        "site": site,
        "published_at": published,
        "published_precision": precision,
        "timezone": "Asia/Shanghai",
        "origin": origin,
        "first_seen": datetime(2024, 6, 26, 8, first_seen, tzinfo=UTC),
    }


NETEASE = member(
    "https://www.163.com/dy/article/J5P1.html",
    "netease",
    "www.163.com",
    SHANGHAI_0503,
    "minute",
    first_seen=5,
)


def test_a_reposters_day_only_time_does_not_beat_the_originals_minute_of_that_day() -> None:
    mirror = member("https://daydaynews.cc/zh-hant/1.html", "daydaynews", "daydaynews.cc", DAY_0626, "day")
    choice = choose_original([mirror, NETEASE], BUILT_IN.outlets)
    assert (choice.original["url"], choice.by) == (NETEASE["url"], "not_repost")


def test_a_copy_crediting_another_members_outlet_defers_to_it_even_when_stamped_earlier() -> None:
    credited = member(
        "https://www.bannedbook.org/bnews/1.html",
        "bannedbook",
        "www.bannedbook.org",
        datetime(2024, 6, 25, 20, 0, tzinfo=UTC),
        "minute",
        origin="网易",
        first_seen=1,
    )
    choice = choose_original([credited, NETEASE], BUILT_IN.outlets)
    assert (choice.original["url"], choice.by) == (NETEASE["url"], "credited")


def test_a_day_ending_before_the_other_time_begins_is_earlier() -> None:
    yesterday = member(
        "https://other.example/a.html",
        "generic",
        "other.example",
        datetime(2024, 6, 24, 16, 0, tzinfo=UTC),
        "day",
        first_seen=9,
    )
    assert choose_original([NETEASE, yesterday], BUILT_IN.outlets).by == "earliest"
    assert choose_original([NETEASE, yesterday], BUILT_IN.outlets).original is yesterday


def test_no_time_never_beats_a_time_and_a_tie_goes_to_the_first_stored() -> None:
    untimed = member("https://other.example/b.html", "generic", "other.example", None, None, first_seen=0)
    assert choose_original([untimed, NETEASE], BUILT_IN.outlets).original is NETEASE
    twin = member(
        "https://other.example/c.html", "generic", "other.example", SHANGHAI_0503, "minute", first_seen=7
    )
    choice = choose_original([twin, NETEASE], BUILT_IN.outlets)
    assert (choice.original, choice.by) == (NETEASE, "first_seen")
    assert (
        choose_original([NETEASE, twin], BUILT_IN.outlets).original is NETEASE
    )  # whatever order they are read in


def test_the_more_precise_time_wins_a_tie_between_outlets_that_do_not_repost() -> None:
    day = member("https://other.example/d.html", "generic", "other.example", DAY_0626, "day", first_seen=0)
    choice = choose_original([day, NETEASE], BUILT_IN.outlets)
    assert (choice.original, choice.by) == (NETEASE, "precise")


def test_documents_stored_before_precision_was_kept_read_midnight_as_a_day() -> None:
    assert precision_of({"published_at": DAY_0626, "timezone": "Asia/Shanghai"}) == "day"
    assert precision_of({"published_at": SHANGHAI_0503, "timezone": "Asia/Shanghai"}) == "minute"
    assert precision_of({"published_at": None}) is None


def test_a_credit_naming_the_members_own_outlet_is_no_credit_and_a_self_media_repost_is_a_reposter() -> None:
    """The issue's real group, in its fields: a NetEase money-channel original crediting 网易财经
    (its own outlet), a NetEase self-media (dy) re-post of the same minute crediting 金融圈内参, and
    a trimmed mirror on another site 1 h 40 later. The original used to defer to the re-post, and
    the mirror became the group's original."""
    original = member(
        "https://www.163.com/dy/article/AP6K4U5C00253G87.html",
        "netease",
        "money.163.com",
        SHANGHAI_0503,
        "minute",
        origin="网易财经",
        first_seen=9,
    )
    repost = member(
        "https://www.163.com/dy/article/AP6K9R1E0519QIKK.html",
        "netease",
        "www.163.com",
        SHANGHAI_0503,
        "minute",
        origin="金融圈内参",
        first_seen=1,
    )
    mirror = member(
        "https://news.portal.example/2024/0626/1.html",
        "generic",
        "news.portal.example",
        datetime(2024, 6, 25, 22, 43, tzinfo=UTC),
        "minute",
        first_seen=2,
    )
    choice = choose_original([mirror, repost, original], BUILT_IN.outlets)
    assert (choice.original["url"], choice.by) == (original["url"], "not_repost")
    assert choose_original([mirror, original], BUILT_IN.outlets).original["url"] == original["url"]


def test_a_credit_to_an_outlet_outside_the_group_never_makes_a_member_lose_to_its_uncredited_copy() -> None:
    """A NetEase re-post of 澎湃新闻 and a converted copy of that NetEase page on another site, stamped
    with the same second: the copy credits no one, yet NetEase's page ran first (stored first)."""
    netease = member(
        "https://www.163.com/dy/article/IMD8QD1L0511B8LM.html",
        "netease",
        "www.163.com",
        SHANGHAI_0503,
        "minute",
        origin="澎湃新闻",
        first_seen=1,
    )
    copy = member(
        "http://mirror.example/1.html", "generic", "mirror.example", SHANGHAI_0503, "minute", first_seen=2
    )
    assert choose_original([copy, netease], BUILT_IN.outlets).original["url"] == netease["url"]
