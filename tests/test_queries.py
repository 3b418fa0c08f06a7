"""The queries docs/schema.md shows consumers are answered from an index, not a collection scan."""

from datetime import UTC, datetime, timedelta

import pytest

from crawler.items import Article
from crawler.store.mongo import ensure_collection, write_articles
from crawler.store.schema import to_document

QUERIES = {
    "newest of a source": ({"source": "netease"}, [("published_at", -1)]),
    "newest canonical stories": ({"duplicate_of": None}, [("published_at", -1)]),
    "where else a story ran": ({"cluster_id": "0000018c6f3a2b0011223344"}, None),
    "one article": ({"url": "https://www.163.com/dy/article/IMD8QD1L0511B8LM.html"}, None),
    "search: a title term": ({"title_terms": "华为"}, None),
    "search: a URL prefix": (
        {"url": {"$gte": "https://s1.example/", "$lt": "https://s1.example/\U0010ffff"}},
        None,
    ),
}


def stages(plan: dict) -> list[str]:
    found = [plan.get("stage", "")]
    for key in ("inputStage", "outerStage", "innerStage"):
        if key in plan:
            found += stages(plan[key])
    for child in plan.get("inputStages", []):
        found += stages(child)
    return found


@pytest.mark.parametrize("name", QUERIES)
def test_consumer_query_uses_an_index(articles, name: str) -> None:
    ensure_collection(articles)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    docs = [
        to_document(
            Article(
                url=f"https://s{n % 5}.example/{n}.html",
                source=f"s{n % 5}",
                site=f"s{n % 5}.example",
                title="t",
                body=f"正文{n}",
                published_at=t0 + timedelta(minutes=n),
                lang="zh-Hans",
                fetched_at=t0,
            )
        )
        for n in range(60)
    ]
    write_articles(articles, docs)
    query, sort = QUERIES[name]
    cursor = articles.find(query)
    if sort:
        cursor = cursor.sort(sort)
    plan = cursor.explain()["queryPlanner"]["winningPlan"]
    assert "IXSCAN" in stages(plan) and "COLLSCAN" not in stages(plan), plan


def test_consumers_can_follow_new_articles_with_a_change_stream(articles) -> None:
    """docs/schema.md's consumer example: watch the collection, see each stored article as it arrives."""
    ensure_collection(articles)
    with articles.watch(
        [{"$match": {"operationType": {"$in": ["insert", "update"]}}}], full_document="updateLookup"
    ) as stream:
        doc = to_document(
            Article(
                url="https://new.example/1.html",
                source="generic",
                site="new.example",
                title="新文章",
                body="新文章的正文。",
                lang="zh-Hans",
                fetched_at=datetime.now(UTC),
            )
        )
        write_articles(articles, [doc])
        change = stream.try_next()
        for _ in range(50):
            if change is not None:
                break
            change = stream.try_next()
    assert change is not None and change["fullDocument"]["title"] == "新文章"


def test_search_finds_by_title_words_in_either_script_and_by_url_prefix(articles, monkeypatch) -> None:
    from crawler.store import search as module
    from crawler.store.search import search

    ensure_collection(articles)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    titles = ["华为发布新款手机 Mate 70", "華為發佈新款手機", "小米发布新款汽车", "华为手机销量"]
    write_articles(
        articles,
        [
            to_document(
                Article(
                    url=f"https://s.example/{n}.html",
                    source="generic",
                    site="s.example",
                    title=title,
                    body="正文",
                    published_at=t0 + timedelta(days=n),
                    lang="zh-Hans",
                    fetched_at=t0,
                )
            )
            for n, title in enumerate(titles)
        ],
    )
    fields = {"url": 1, "title": 1}
    assert [d["title"] for d in search(articles, "華為 新款", 10, fields).articles] == [
        titles[1],
        titles[0],
    ]  # newest first
    assert [d["title"] for d in search(articles, "mate", 10, fields).articles] == [titles[0]]
    assert (
        search(articles, "苹果", 10, fields).articles == []
        and search(articles, "，。", 10, fields).articles == []
    )
    assert [d["url"] for d in search(articles, "https://s.example/2", 10, fields).articles] == [
        "https://s.example/2.html"
    ]
    assert search(articles, "华为", 10, fields).complete
    monkeypatch.setattr(module, "SCAN", 2)  # a word in more titles than a search reads: it says so
    assert not search(articles, "华为", 10, fields).complete
