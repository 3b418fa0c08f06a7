"""Every version of an article and its removals are kept, shown and exported: `crawler fetch`,
`crawler crawl` re-checks, `crawler history`, `crawler export --removed`, against pages on
127.0.0.1 and the test store.

The pages are real saved ones (flat_000, a 天天要聞-style mirror; solidot); their edits, the 404,
the redirect and the "deleted" page are made here from them: no real page of a removal was saved.
"""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.archive.warcfiles import Captured, read_fetch
from tests.commands import no_delays
from tests.conftest import page_bytes, run_crawler
from tests.site import Page, Site

FLAT = page_bytes("flat_000")
COSMETIC = FLAT.replace("未来,随着".encode(), "未来，随着 ".encode())  # a full-width comma and a space
EDITED = FLAT.replace("未来,随着".encode(), "将来,随着".encode())
SOLIDOT = page_bytes("solidot").decode()


def history_of(url: str, env: dict[str, str], cwd: Path, *more: str) -> list[dict]:
    run = run_crawler(["history", url, *more], env, cwd)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_five_fetches_of_one_url_keep_two_versions_and_one_removal_that_ends(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """The original, a cosmetic edit (no version), a real edit, a 404, the real edit again; each
    `crawler fetch` of the stored URL is a re-check."""
    url = site.add("/reader/000.html", FLAT)
    versions = articles.database["article_versions"]
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode == 0

    site.add("/reader/000.html", COSMETIC)
    cosmetic = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert cosmetic.returncode == 0, cosmetic.stderr
    assert json.loads(cosmetic.stdout)["version"] == 1
    assert "未来,随着" in articles.find_one({"url": url})["body"]  # the stored text stays its version's

    site.add("/reader/000.html", EDITED)
    assert json.loads(run_crawler(["fetch", url], crawler_env, tmp_path).stdout)["version"] == 2

    site.add("/reader/000.html", Page(b"<html><body>not found</body></html>", status=404))
    gone = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert gone.returncode != 0 and "HTTP 404" in gone.stderr
    removed = articles.find_one({"url": url})
    assert (removed["removed_how"], removed["version"]) == ("http_404", 2)
    assert "将来,随着" in removed["body"]  # its last version is kept
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode != 0  # still gone: confirmed
    confirmed = articles.find_one({"url": url})["removals"][0]["confirmed_at"]

    site.add("/reader/000.html", EDITED)
    back = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert back.returncode == 0, back.stderr
    doc = articles.find_one({"url": url})
    assert (doc["removed_at"], doc["removed_how"], doc["version"], doc["fetch_count"]) == (None, None, 2, 4)
    evidence = removed["removals"][0]["capture"]  # the 404 as it came, kept
    assert doc["removals"] == [
        {
            "removed_at": removed["removed_at"],
            "how": "http_404",
            "returned_at": doc["last_seen"],
            "confirmed_at": confirmed,
            "capture": evidence,
        }
    ]
    assert confirmed > removed["removed_at"] and doc["outages"] == []
    assert read_fetch(tmp_path / "data" / "warc", Captured(**evidence)).status == 404

    stored = list(versions.find({"url": url}, {"_id": 0}).sort("version", 1))
    assert [(v["version"], "将来,随着" in v["body"]) for v in stored] == [(1, False), (2, True)]
    assert stored[1]["change"] == {"added": 1, "removed": 1, "paragraphs": 1}
    assert stored[0]["change"]["added"] == len(stored[0]["body"].replace("\n", ""))

    timeline = history_of(url, crawler_env, tmp_path)
    assert [(e["event"], e.get("version"), e.get("how")) for e in timeline] == [
        ("version", 1, None),
        ("version", 2, None),
        ("removed", None, "http_404"),
        ("returned", None, None),
    ]
    assert timeline[2]["at"] == removed["removed_at"].isoformat()
    assert timeline[3]["at"] == doc["last_seen"].isoformat()
    diffed = history_of(url, crawler_env, tmp_path, "--diff")
    assert "diff" not in diffed[0]
    assert [
        line[0]
        for line in diffed[1]["diff"].splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ] == ["-", "+"]

    exported = run_crawler(["export", "--removed"], crawler_env, tmp_path)
    assert exported.stdout == ""  # it came back
    assert run_crawler(["history", site.base + "/reader/none.html"], crawler_env, tmp_path).returncode == 1


def test_a_404_and_a_200_at_the_next_look_is_an_outage_not_a_removal(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """A flapping server: the page answers 404 once, and the next fetch finds it as it was."""
    url = site.add("/reader/flap.html", FLAT)
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode == 0
    site.add("/reader/flap.html", Page(b"<html><body>busy</body></html>", status=404))
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode != 0
    gone = articles.find_one({"url": url})
    assert gone["removed_how"] == "http_404"  # what one look can tell: gone, for now
    site.add("/reader/flap.html", FLAT)
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode == 0

    doc = articles.find_one({"url": url})
    assert (doc["removed_at"], doc["removals"], doc["version"]) == (None, [], 1)
    assert doc["outages"] == [
        {
            "gone_at": gone["removed_at"],
            "back_at": doc["last_seen"],
            "how": "http_404",
            "capture": gone["removals"][0]["capture"],
        }
    ]
    assert [(e["event"], e.get("how")) for e in history_of(url, crawler_env, tmp_path)] == [
        ("version", None),
        ("outage", "http_404"),
    ]
    assert run_crawler(["export", "--removed"], crawler_env, tmp_path).stdout == ""


def solidot(sid: int) -> str:
    return SOLIDOT.replace("OpenAI 和微软的紧密关系出现裂缝", f"第{sid}篇：OpenAI 和微软的紧密关系出现裂缝")


DELETED = (
    "<html><head><title>Solidot</title></head><body><div class='nav'><a href='/'>首页</a> <a href='/"
    "tech'>科技</a></div><div class='block_m'><p>抱歉，该文章已被删除。</p><a href='/'>返回首页</a></"
    "div><ul><li><a href='/story?sid=9'>热门：另一篇文章的标题在这里</a></li></ul></body></html>"
)


def crawl_solidot(env: dict[str, str], cwd: Path, *settings: str) -> subprocess.CompletedProcess:
    """A round of Solidot from its (empty) feed: what it fetches beyond that is re-checks;
    `settings` as NAME=VALUE."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli.main",
            *no_delays(
                "FRONTIER_POLL_INTERVAL=0.2",
                'SOURCE_START_URLS={"solidot": ["http://www.solidot.org/index.rss"]}',
                "LOG_LEVEL=INFO",  # the test reads the round's log and stats
                *settings,
            ),
            "crawl",
            "solidot",
        ],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def empty_feed(site: Site) -> None:
    site.add(
        "http://www.solidot.org/index.rss",
        Page(b'<?xml version="1.0"?><rss><channel></channel></rss>', content_type="application/rss+xml"),
    )


def test_a_round_rechecks_due_articles_conditionally_and_finds_the_deleted_and_the_redirected(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    env = crawler_env | {"http_proxy": site.base}
    urls = [f"http://www.solidot.org/story?sid={sid}" for sid in (201, 202, 203, 204)]
    for sid, url in zip((201, 202, 203, 204), urls, strict=True):
        site.add(url, Page(solidot(sid).encode(), etag=f'"v{sid}"'))
        assert run_crawler(["fetch", url], env, tmp_path).returncode == 0
    assert articles.find_one({"url": urls[0]})["etag"] == '"v201"'
    first_seen = articles.find_one({"url": urls[0]})["first_seen"]
    assert articles.find_one({"url": urls[0]})["recheck_at"] == first_seen + timedelta(hours=1)

    # an hour on, as RECHECK_SCHEDULE's first step makes them due; 204 is not due yet
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=61)
    articles.update_many(
        {"url": {"$in": urls[:3]}}, {"$set": {"first_seen": seen, "recheck_at": seen + timedelta(hours=1)}}
    )
    site.add(urls[1], DELETED)
    site.add(urls[2], Page(b"", status=302, headers={"Location": "http://www.solidot.org/"}))
    site.add(
        "http://www.solidot.org/", "<html><body><h1>Solidot</h1><p>奇客的资讯，重要的东西。</p></body></html>"
    )
    empty_feed(site)
    site.requests.clear()
    run = crawl_solidot(env, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert site.not_modified == [urls[0]]  # sent its ETag back, answered 304
    assert urls[3] not in site.requests
    docs = {d["url"]: d for d in articles.find({"url": {"$in": urls}})}
    assert [docs[u].get("removed_how") for u in urls] == [None, "deleted_page", "redirect_home", None]
    assert docs[urls[1]]["title"] == "第202篇：OpenAI 和微软的紧密关系出现裂缝"  # its last version stays
    assert docs[urls[0]]["recheck_at"] == docs[urls[0]]["first_seen"] + timedelta(hours=6)  # the next step
    assert docs[urls[0]]["fetch_count"] == 1  # a 304 is a check, not a fetch of the text
    record = articles.database["crawls"].find_one({"source": "solidot"}, sort=[("started_at", -1)])
    assert record["rechecks"] == {"due": 3, "not_modified": 1, "removed": 2}
    assert record["status"] == "ok" and record["errors"]["total"] == 0  # a removal is news, not a failure

    exported = run_crawler(
        ["export", "--removed", "--since", (datetime.now(UTC) - timedelta(hours=1)).isoformat()],
        env,
        tmp_path,
    )
    assert sorted(json.loads(line)["url"] for line in exported.stdout.splitlines()) == urls[1:3]
    assert [e["event"] for e in history_of(urls[1], env, tmp_path)] == ["version", "removed"]

    # asked for by hand, the deleted page says so
    again = run_crawler(["fetch", urls[1]], env, tmp_path)
    assert (
        again.returncode != 0
        and "the article is gone (deleted_page): the page says 该文章已被删除" in again.stderr
    )


def test_a_consumer_following_the_change_stream_sees_a_version_and_a_removal_as_updates_of_the_article(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """docs/schema.md's consumer loop: the new version and the removal arrive as updates of the one article
    document, with the fields that changed; `article_versions` is not needed to follow them."""
    url = site.add("/reader/watched.html", FLAT)
    assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode == 0
    with articles.watch(
        [{"$match": {"operationType": {"$in": ["insert", "update"]}}}],
        full_document="updateLookup",
        max_await_time_ms=1000,
    ) as stream:
        site.add("/reader/watched.html", EDITED)
        assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode == 0
        site.add("/reader/watched.html", Page(b"<html><body>not found</body></html>", status=404))
        assert run_crawler(["fetch", url], crawler_env, tmp_path).returncode != 0
        changes: list[dict] = []
        for _ in range(30):  # each waits up to a second for the next change; the removal is the last write
            if any("removed_at" in c["updateDescription"]["updatedFields"] for c in changes):
                break
            if (change := stream.try_next()) is not None:
                changes.append(change)
    assert {c["operationType"] for c in changes} == {"update"}
    assert {c["documentKey"]["_id"] for c in changes} == {articles.find_one({"url": url})["_id"]}
    edited = next(c for c in changes if c["updateDescription"]["updatedFields"].get("version") == 2)
    assert "将来,随着" in edited["fullDocument"]["body"]
    removal = changes[-1]["updateDescription"]["updatedFields"]
    assert (
        removal["removed_how"] == "http_404"
        and removal["removed_at"] == changes[-1]["fullDocument"]["removed_at"]
    )


def test_a_distributed_round_rechecks_through_the_workers(
    site: Site, crawler_env, articles, redis_server, tmp_path: Path
) -> None:
    """With REDIS_URL, `crawler crawl` seeds a round into Redis and works it as a worker: the
    worker that takes the seed asks for the due re-checks, and they go through the frontier."""
    env = crawler_env | {"http_proxy": site.base}
    urls = [f"http://www.solidot.org/story?sid={sid}" for sid in (301, 302, 303)]
    for sid, url in zip((301, 302, 303), urls, strict=True):
        site.add(url, Page(solidot(sid).encode(), etag=f'"v{sid}"'))
        assert run_crawler(["fetch", url], env, tmp_path).returncode == 0
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=61)
    articles.update_many(
        {"url": {"$in": urls[:2]}}, {"$set": {"first_seen": seen, "recheck_at": seen + timedelta(hours=1)}}
    )
    site.add(urls[1], Page(b"<html><body>gone</body></html>", status=410))
    empty_feed(site)
    site.requests.clear()
    run = crawl_solidot(env | {"REDIS_URL": redis_server.url}, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "new round seeded" in run.stderr
    assert site.not_modified == [urls[0]] and urls[2] not in site.requests
    assert [articles.find_one({"url": u}).get("removed_how") for u in urls] == [None, "http_410", None]
    assert articles.find_one({"url": urls[0]})["recheck_at"] == seen + timedelta(hours=6)
    assert "'recheck/due': 2" in run.stderr and "'recheck/not_modified': 1" in run.stderr


def test_two_url_forms_of_one_solidot_story_are_one_document_not_a_mirror_of_itself(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """The same story stored under two URLs was shown on /stories as a mirror of itself (1.00)."""
    env = crawler_env | {"http_proxy": site.base}
    forms = ["http://www.solidot.org/story?sid=500", "http://solidot.org/story?from=rss&sid=500"]
    for url in forms:
        site.add(url, solidot(500))
        assert run_crawler(["fetch", url], env, tmp_path).returncode == 0
    stored = list(articles.find({}, {"url": 1, "fetch_count": 1, "cluster_size": 1, "_id": 0}))
    assert stored == [{"url": forms[0], "fetch_count": 2, "cluster_size": 1}]
