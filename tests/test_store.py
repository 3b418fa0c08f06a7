"""The articles collection over a real MongoDB-wire connection (SecantusDB), never a mock."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import WriteError

from crawler.failures import StoreUnavailable
from crawler.process import process_page
from crawler.store.mongo import connect, ensure_collection, first_version, upsert_op, write_articles
from crawler.store.schema import to_document
from tests.conftest import PAGES, page_bytes


def solidot_doc(fetched_at: datetime | None = None, body_suffix: str = "") -> dict:
    article = process_page(page_bytes("solidot"), PAGES["solidot"]["url"], "solidot")
    article.fetched_at = fetched_at or datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    article.body += body_suffix
    return to_document(article)


@pytest.fixture
def collection(articles):
    ensure_collection(articles)
    return articles


def test_stored_document_has_every_documented_field_with_its_type(collection) -> None:
    result = write_articles(collection, [solidot_doc()])
    assert (result.new, result.updated, result.unchanged, result.refused) == (1, 0, 0, [])
    doc = collection.find_one({"url": "https://www.solidot.org/story?sid=79532"})
    types = {
        "url": str,
        "source": str,
        "site": str,
        "title": str,
        "body": str,
        "published_at": datetime,
        "published_raw": str,
        "timezone": str,
        "author": str,
        "origin": type(None),
        "original_title": type(None),
        "lang": str,
        "images": list,
        "fetched_at": datetime,
        "clean_audit": dict,
        "content_hash": str,
        "version": int,
        "first_seen": datetime,
        "last_seen": datetime,
        "updated_at": datetime,
        "fetch_count": int,
    }
    assert {k: type(doc[k]) for k in types} == types
    assert doc["published_at"] == datetime(2024, 10, 18, 14, 58, tzinfo=UTC)
    assert (doc["version"], doc["fetch_count"], doc["author"], doc["lang"]) == (1, 1, "Wilson", "zh-Hans")


def test_indexes_are_created_on_open(collection) -> None:
    indexes = collection.index_information()
    assert indexes["url_unique"]["unique"] is True
    assert indexes["published_at"]["key"] == [("published_at", -1)]
    assert indexes["source_published_at"]["key"] == [("source", 1), ("published_at", -1)]


def test_refetch_of_unchanged_page_bumps_last_seen_not_version(collection) -> None:
    first = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    write_articles(collection, [solidot_doc(first)])
    result = write_articles(collection, [solidot_doc(first + timedelta(hours=1))])
    assert (result.new, result.updated, result.unchanged) == (0, 0, 1)
    doc = collection.find_one()
    assert (doc["version"], doc["fetch_count"]) == (1, 2)
    assert (doc["first_seen"], doc["last_seen"], doc["updated_at"]) == (
        first,
        first + timedelta(hours=1),
        first,
    )


def test_an_update_of_a_url_missing_after_all_stores_the_same_first_version_as_an_insert(collection) -> None:
    """A URL the batch's read found can be gone by the write (deleted by hand): the update then
    inserts, and must leave what an insert of a new URL leaves."""
    doc = solidot_doc()
    collection.bulk_write([upsert_op(doc)])
    stored = collection.find_one({"url": doc["url"]}, {"_id": 0})
    assert stored == first_version(doc)


def test_one_fetch_written_twice_counts_once(collection) -> None:
    """A batch retried, or replayed from the spool, after its first write had landed after all."""
    fetched = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    write_articles(collection, [solidot_doc(fetched)])
    write_articles(collection, [solidot_doc(fetched)])
    doc = collection.find_one()
    assert (doc["version"], doc["fetch_count"], doc["last_seen"]) == (1, 1, fetched)


def test_one_page_written_by_three_workers_at_the_same_moment_is_stored_once(
    collection, mongo_uri: str
) -> None:
    """At-least-once fetching in a distributed crawl: three fetches of one page land together."""
    import threading

    import pymongo

    def write(fetched_at: datetime) -> None:
        with pymongo.MongoClient(mongo_uri, tz_aware=True) as client:
            barrier.wait()
            refused.extend(
                write_articles(
                    client[collection.database.name][collection.name], [solidot_doc(fetched_at)]
                ).refused
            )

    for round_ in range(10):
        barrier, refused = threading.Barrier(3), []
        times = [datetime(2026, 11, 1, 8, round_, second, tzinfo=UTC) for second in (1, 2, 3)]
        writers = [threading.Thread(target=write, args=(t,)) for t in times]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        assert refused == []
    assert collection.count_documents({}) == 1
    assert collection.find_one()["fetch_count"] == 30


def test_a_page_another_writer_inserts_between_read_and_write_is_stored_once(
    collection, mongo_uri: str
) -> None:
    """A new URL is inserted whole; when another writer inserted it after this batch's read, the
    unique index refuses the insert and the write becomes an update. The server holds the slow
    writer's insert back (a failpoint on its client) and the fast one writes once the slow one
    has read (the driver's command monitoring says when)."""
    import threading

    import pymongo
    from pymongo import monitoring

    class ReadDone(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            pass

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            if event.command_name == "find":
                slow_has_read.set()

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    def slow_write() -> None:
        with pymongo.MongoClient(
            mongo_uri, appname="slow", tz_aware=True, event_listeners=[ReadDone()]
        ) as client:
            results["slow"] = write_articles(
                client[collection.database.name][collection.name], [solidot_doc(first)]
            )

    results, slow_has_read, first = {}, threading.Event(), datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    collection.database.client.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["insert"], "blockConnection": True, "blockTimeMS": 1000, "appName": "slow"},
    )
    slow = threading.Thread(target=slow_write)
    slow.start()
    assert slow_has_read.wait(10)
    results["fast"] = write_articles(collection, [solidot_doc(first + timedelta(minutes=1))])
    slow.join()
    assert [(r.new, r.updated, r.unchanged, r.refused) for r in (results["fast"], results["slow"])] == [
        (1, 0, 0, []),
        (0, 0, 1, []),
    ]
    assert [d["version"] for d in results["fast"].created] == [1]
    doc = collection.find_one()
    assert (collection.count_documents({}), doc["version"], doc["fetch_count"]) == (1, 1, 2)
    assert (doc["first_seen"], doc["last_seen"]) == (first + timedelta(minutes=1), first)


def test_one_url_twice_in_a_batch_is_one_article_in_its_second_version(collection) -> None:
    first = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    result = write_articles(
        collection, [solidot_doc(first), solidot_doc(first + timedelta(hours=1), "\n更正：补充一段。")]
    )
    assert (result.new, result.updated, result.unchanged, result.refused) == (1, 1, 0, [])
    doc = collection.find_one()
    assert (collection.count_documents({}), doc["version"], doc["fetch_count"]) == (1, 2, 2)


def test_changed_page_bumps_version_and_updated_at(collection) -> None:
    first = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    write_articles(collection, [solidot_doc(first)])
    result = write_articles(
        collection, [solidot_doc(first + timedelta(hours=2), body_suffix="\n更正：补充一段。")]
    )
    assert (result.new, result.updated) == (0, 1)
    doc = collection.find_one()
    assert (doc["version"], doc["fetch_count"], doc["updated_at"]) == (2, 2, first + timedelta(hours=2))
    assert doc["body"].endswith("更正：补充一段。")
    assert collection.count_documents({}) == 1


def test_validator_refuses_a_document_without_url(collection) -> None:
    doc = solidot_doc()
    del doc["url"]
    with pytest.raises(WriteError) as refused:
        collection.insert_one(doc)
    assert refused.value.code == 121


def test_refused_documents_come_back_with_their_reason(collection) -> None:
    good, bad = solidot_doc(), solidot_doc()
    bad["url"], bad["title"] = "https://www.solidot.org/story?sid=1", ""
    result = write_articles(collection, [good, bad])
    assert result.new == 1
    assert [(d["url"], reason) for d, reason in result.refused] == [
        ("https://www.solidot.org/story?sid=1", "refused by server: validation failed")
    ]


def test_unreachable_store_raises_store_unavailable(unused_loopback_port: int) -> None:
    with connect(f"mongodb://127.0.0.1:{unused_loopback_port}/", timeout_ms=300) as client:
        with pytest.raises(StoreUnavailable):
            write_articles(client.news.articles, [solidot_doc()])


def test_scraped_values_are_stored_as_data_never_as_operators_or_paths(collection) -> None:
    """A title like `$body` would be a field path, and `{"$gt": ""}` an operator, if values were
    spliced into updates; they must come back exactly as scraped."""
    doc = solidot_doc()
    doc["title"] = "$body"
    doc["author"] = '{"$gt": ""}'
    doc["origin"] = "$$NOW"
    doc["images"] = ["$images", "a.b.c"]
    write_articles(collection, [doc])
    write_articles(collection, [doc | {"fetched_at": doc["fetched_at"] + timedelta(hours=1)}])
    stored = collection.find_one({"url": doc["url"]})
    assert (stored["title"], stored["author"], stored["origin"], stored["images"]) == (
        "$body",
        '{"$gt": ""}',
        "$$NOW",
        ["$images", "a.b.c"],
    )
    assert (stored["version"], stored["fetch_count"]) == (1, 2)
