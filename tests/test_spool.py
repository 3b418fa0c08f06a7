"""The spool: what the store could not take, kept through crashes, torn lines and concurrent
writers, and replayed into the real store (SecantusDB) without losing or doubling a line."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.failures import StoreUnavailable
from crawler.process import process_page
from crawler.store.mongo import WriteResult, ensure_collection, write_articles
from crawler.store.schema import to_document
from crawler.store.spool import Spool
from tests.conftest import PAGES, page_bytes, run_crawler
from tests.site import Site


def solidot_doc(sid: int = 79532) -> dict:
    article = process_page(page_bytes("solidot"), PAGES["solidot"]["url"], "solidot")
    article.url = f"https://www.solidot.org/story?sid={sid}"
    article.fetched_at = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # milliseconds, as BSON keeps them
    return to_document(article)


@pytest.fixture
def collection(articles):
    ensure_collection(articles)
    return articles


def test_replays_once_keeps_what_is_refused_and_counts_what_was_there_already(
    collection, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    good, bad = solidot_doc(1), solidot_doc(2)
    bad["body"] = ""  # the validator refuses an empty body
    spool.append([good, bad], "store unavailable")
    assert list(spool.documents())[0]["fetched_at"] == good["fetched_at"]  # times survive the round trip
    first = spool.replay(lambda docs: write_articles(collection, docs))
    assert (first.written, first.already, first.refused, first.quarantined) == (1, 0, 1, 0)
    spool.append([good], "store unavailable")  # the same fetch spooled twice (a retried write)
    second = spool.replay(lambda docs: write_articles(collection, docs))
    assert (second.written, second.already, second.refused) == (0, 1, 1)
    assert collection.count_documents({}) == 1 and collection.find_one()["fetch_count"] == 1
    assert [d["url"] for d in list(spool.documents())] == [bad["url"]]


def test_a_failed_replay_leaves_every_line_for_the_next(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([solidot_doc(1), solidot_doc(2)], "store unavailable")

    def down(docs):
        raise StoreUnavailable("connection refused")

    with pytest.raises(StoreUnavailable):
        spool.replay(down)
    assert [d["url"].rsplit("=", 1)[1] for d in list(spool.documents())] == ["1", "2"]


def test_a_torn_last_line_and_a_garbage_line_are_quarantined_and_the_rest_replays(
    collection, tmp_path: Path
) -> None:
    path = tmp_path / "spool.jsonl"
    spool = Spool(path)
    spool.append([solidot_doc(1)], "store unavailable")
    path.write_bytes(path.read_bytes() + b"not json at all\n")
    spool.append([solidot_doc(2)], "store unavailable")
    whole = path.read_bytes()
    path.write_bytes(whole + whole.splitlines(keepends=True)[0][:57])  # a crash in the middle of an append
    spool.append([solidot_doc(3)], "store unavailable")  # the next append starts on a line of its own

    done = spool.replay(lambda docs: write_articles(collection, docs))
    assert (done.written, done.quarantined) == (3, 2)
    assert sorted(d["url"][-1] for d in collection.find()) == ["1", "2", "3"]
    entries = [json.loads(line) for line in spool.quarantine.read_text().splitlines()]
    assert [(e["line"], e["reason"][:8]) for e in entries] == [(2, "not JSON"), (4, "not JSON")]
    assert (
        entries[0]["text"] == "not json at all" and entries[1]["text"] == whole.splitlines()[0][:57].decode()
    )
    assert spool.segments() == []  # nothing left to replay, nothing replayed twice


def test_a_line_appended_while_a_replay_writes_is_kept_for_the_next(collection, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([solidot_doc(1)], "store unavailable")
    other_writer = Spool(tmp_path / "spool.jsonl")  # another process's pipeline, spooling meanwhile

    def write_while_another_appends(docs) -> WriteResult:
        other_writer.append([solidot_doc(2)], "store unavailable")
        return write_articles(collection, docs)

    assert spool.replay(write_while_another_appends).written == 1
    assert [d["url"][-1] for d in list(spool.documents())] == ["2"]
    assert spool.replay(lambda docs: write_articles(collection, docs)).written == 1
    assert collection.count_documents({}) == 2


def test_a_segment_left_by_a_replay_that_died_is_taken_by_the_next(collection, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([solidot_doc(1)], "store unavailable")

    def dies(docs):
        raise KeyboardInterrupt  # the process stopped in the middle of the replay

    with pytest.raises(KeyboardInterrupt):
        spool.replay(dies)
    assert [p.name.endswith(".replaying") for p in spool.segments()] == [True]
    spool.append([solidot_doc(2)], "store unavailable")
    assert spool.replay(lambda docs: write_articles(collection, docs)).written == 2
    assert spool.segments() == []


def test_db_replay_of_a_torn_spool_says_what_it_did_and_fetch_works_after(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """On the old main a torn line stopped `crawler db replay` with a traceback, and every later
    `crawler fetch` failed on the same line."""
    path = Path(crawler_env["SPOOL_PATH"])
    Spool(path).append([solidot_doc(1), solidot_doc(2)], "store unavailable")
    path.write_bytes(path.read_bytes()[:-40])  # the second line torn

    replay = run_crawler(["db", "replay"], crawler_env, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.startswith("replayed 1 article(s), 0 already stored, 0 refused again")
    assert "1 unreadable line(s) quarantined in" in replay.stdout and "Traceback" not in replay.stderr

    url = site.add("/reader/000.html", page_bytes("flat_000"))
    fetch = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert fetch.returncode == 0, fetch.stderr
    assert {d["url"] for d in articles.find()} == {solidot_doc(1)["url"], url}


def test_fetch_replays_a_torn_spool_itself(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    path = Path(crawler_env["SPOOL_PATH"])
    Spool(path).append([solidot_doc(1)], "store unavailable")
    path.write_bytes(path.read_bytes() + b'{"reason": "store unav')
    url = site.add("/reader/001.html", page_bytes("flat_001"))
    fetch = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert fetch.returncode == 0, fetch.stderr
    assert {d["url"] for d in articles.find()} == {solidot_doc(1)["url"], url}
    assert json.loads(Spool(path).quarantine.read_text())["line"] == 2


def mirrored_docs() -> list[dict]:
    """A story and its Traditional-script mirror, as the pipelines would spool them."""
    from crawler.dedup.fingerprint import fingerprint
    from crawler.dedup.index import as_document
    from crawler.extract.lang import converter

    docs = []
    for n, html in enumerate(
        (page_bytes("flat_000"), converter("s2t").convert(page_bytes("flat_000").decode()).encode())
    ):
        article = process_page(html, f"http://127.0.0.1/{n}.html", "generic")
        article.fetched_at = datetime(2026, 11, 1, 8, n, tzinfo=UTC)
        article.dedup = as_document(fingerprint(article.body))
        docs.append(to_document(article))
    return docs


def test_db_replay_groups_with_the_configured_thresholds(crawler_env, articles, tmp_path: Path) -> None:
    """On the old main `crawler db replay` grouped with the built-in thresholds, whatever the
    settings said."""
    Spool(Path(crawler_env["SPOOL_PATH"])).append(mirrored_docs(), "store unavailable")
    replay = run_crawler(["-s", "DEDUP_MIN_SHARED_UNITS=100000", "db", "replay"], crawler_env, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert sorted((d["url"], d["duplicate_of"], d["cluster_size"]) for d in articles.find()) == [
        ("http://127.0.0.1/0.html", None, 1),
        ("http://127.0.0.1/1.html", None, 1),
    ]  # no copy: too few shared units

    Spool(Path(crawler_env["SPOOL_PATH"])).append(mirrored_docs(), "store unavailable")
    articles.delete_many({})
    assert run_crawler(["db", "replay"], crawler_env, tmp_path).returncode == 0
    assert articles.find_one({"url": "http://127.0.0.1/1.html"})["duplicate_of"] == "http://127.0.0.1/0.html"
