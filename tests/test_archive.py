"""Every page kept as fetched: WARC files written by crawls and fetches, read back byte for byte,
whole after a SIGKILL mid-record, and `crawler extract` reading saved pages and WARC files offline.

Pages are the real fixtures (tests/fixtures/pages), served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.capture import prune
from crawler.archive.warcfiles import Captured, Fetch, WarcFiles, fetches, read_fetch, recover, writer_name
from tests.conftest import page_bytes, run_crawler
from tests.site import Site
from tests.test_dashboard import serving
from tests.test_disk_full import fill
from tests.test_runs import ARTICLE, article, listing
from tests.test_versions import crawl_solidot, empty_feed

VARIES = ("fetched_at", "capture")  # when and where a page was read: the only fields that may differ


def responses(folder: Path) -> dict[str, bytes]:
    """Every response record of every WARC file in a folder, by URL, as warcio reads it."""
    found = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    found[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    return found


def test_a_crawl_keeps_every_response_as_received_and_each_article_names_its_record(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    env = crawler_env | {"http_proxy": site.base}
    idents = [f"W{n:015d}" for n in range(3)]
    listing(site, idents)
    pages = {ARTICLE.format(i): article(i).encode() for i in idents}
    for url, body in pages.items():
        site.add(url, body)
    done = run_crawler(
        ["-s", 'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}', "crawl", "netease"],
        env,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    warc = tmp_path / "data" / "warc"
    kept = responses(warc)
    assert {url: kept[url] for url in pages} == pages  # byte for byte, as served
    assert "http://www.163.com/news/" in kept  # the listing too
    assert not list(warc.glob("*.open"))  # every file finished when the crawl ended
    index = {d["url"]: d for d in articles.database["captures"].find({}, {"_id": 0})}
    for url, body in pages.items():
        stored = articles.find_one({"url": url.replace("http://", "https://")})
        assert read_fetch(warc, Captured(**stored["capture"])).body == body
        assert {k: index[url][k] for k in ("file", "offset", "length", "status")} == {
            **stored["capture"],
            "status": 200,
        }  # the store's index says where each page's record is
    assert index["http://www.163.com/news/"]["content_type"].startswith("text/html")


def test_records_the_store_missed_are_indexed_from_the_files_by_db_index_warc(
    site: Site, crawler_env, articles, unused_loopback_port: int, tmp_path: Path
) -> None:
    """A round while the store is down (a closed port): its pages are kept, the index it could
    not write is said in one line, and `crawler db index-warc` makes it from the files, once."""
    empty_feed(site)
    down = crawler_env | {
        "http_proxy": site.base,
        "MONGO_URI": f"mongodb://127.0.0.1:{unused_loopback_port}/",
    }
    crawled = crawl_solidot(down, tmp_path, "MONGO_TIMEOUT_MS=300")
    said = [line for line in crawled.stderr.splitlines() if "WARC index" in line]
    assert [line.split("WARNING: ", 1)[1] for line in said][-1] == (
        "WARC index: 2 record(s) are kept in WARC_DIR but not in the store's index; "
        "`crawler db index-warc` adds them from the files"
    )  # robots.txt and the feed
    captures = articles.database["captures"]
    assert captures.count_documents({}) == 0

    first = run_crawler(["db", "index-warc"], crawler_env, tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == "indexed 2 record(s) of 1 file(s) in data/warc: 2 new, 0 already indexed\n"
    kept = {f.url: (where, f) for where, f in fetches(next((tmp_path / "data" / "warc").glob("*.warc.gz")))}
    where, feed = kept["http://www.solidot.org/index.rss"]
    assert captures.find_one({"url": feed.url}, {"_id": 0}) == {
        "url": feed.url,
        "fetched_at": feed.fetched_at.replace(
            microsecond=feed.fetched_at.microsecond // 1000 * 1000
        ),  # BSON: ms
        "status": 200,
        "content_type": "application/rss+xml",
        "file": where.file,
        "offset": where.offset,
        "length": where.length,
    }
    again = run_crawler(["db", "index-warc"], crawler_env, tmp_path)
    assert again.stdout == "indexed 2 record(s) of 1 file(s) in data/warc: 0 new, 2 already indexed\n"


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from crawler.archive.warcfiles import Fetch, WarcFiles, writer_name
    files = WarcFiles(Path(sys.argv[1]), writer_name(), 10**10)
    body = bytes(range(256)) * 40000  # 10 MB that gzip cannot shrink much: each write takes a while
    n = 0
    while True:
        head = [("Content-Type", "text/html")]
        page = Fetch(f"http://127.0.0.1/{n}.html", datetime.now(UTC), 200, head, body)
        files.write(page)
        n += 1
        print(n, flush=True)
    """
)


def test_a_writer_killed_mid_run_loses_no_record_and_the_next_writer_finishes_its_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "warc"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    while int(writer.stdout.readline()) < 2:  # two records reported written...
        pass
    [open_file] = folder.glob("*.open")
    whole = open_file.stat().st_size
    while open_file.stat().st_size == whole:  # ...and the next under way
        pass
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)

    recover(folder)
    [finished] = folder.glob("*.warc.gz")
    assert not list(folder.glob("*.open")) and finished.name == open_file.name.removesuffix(".open")
    with finished.open("rb") as stream:  # read to the end without an error: whole records only
        urls = [
            r.rec_headers.get_header("WARC-Target-URI")
            for r in ArchiveIterator(stream)
            if r.rec_type == "response"
        ]
    assert urls[:2] == ["http://127.0.0.1/0.html", "http://127.0.0.1/1.html"]  # nothing reported is lost


def test_a_torn_last_record_is_set_aside_by_the_next_writer_and_said(tmp_path: Path) -> None:
    """A record is one write, so a SIGKILL leaves none torn (above); a machine that loses power
    mid-write does. No real fault makes that here: the file is a real one cut inside its last
    record, left `.open` under the name of a writer whose process has ended."""
    folder = tmp_path / "warc"
    ended = subprocess.Popen(["true"])
    ended.wait()
    host = socket.gethostname().replace("-", "_")
    files = WarcFiles(folder, f"{host}-{ended.pid}-abcdef", 10**9)
    page = Fetch("http://127.0.0.1/n.html", datetime.now(UTC), 200, [], page_bytes("solidot"))
    where = [files.write(page) for _ in range(3)]
    [open_file] = folder.glob("*.open")
    os.truncate(open_file, where[2].offset + where[2].length // 2)  # inside the third response
    said = recover(folder)
    [finished], [tail] = folder.glob("*.warc.gz"), folder.glob("*.torn")
    assert said == [f"{open_file.name}: a torn last record of {tail.stat().st_size} bytes set aside"]
    assert [c.offset for c, _ in fetches(finished)] == [where[0].offset, where[1].offset]  # the whole ones


def test_a_full_disk_under_warc_dir_keeps_the_files_whole_and_the_articles_stored(
    site: Site,
    crawler_env,
    articles,
    tmpfs,
    tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    warc = tmpfs("warc", "1M")
    fill(warc, leave=120_000)
    noise = os.urandom(60_000).hex()  # 120 KB that gzip halves: the second page's record does not fit
    urls = [
        site.add(
            f"/full/{n}.html", page_bytes("solidot").replace(b"</body>", f"<!-- {noise} --></body>".encode())
        )
        for n in range(3)
    ]
    done = run_crawler(["fetch", *urls], crawler_env | {"WARC_DIR": str(warc)}, tmp_path)
    assert done.returncode == 0, done.stderr
    stored = {d["url"]: d.get("capture") for d in articles.find({}, {"url": 1, "capture": 1})}
    assert sorted(stored) == sorted(urls)  # every article stored, captured or not
    captured = [Captured(**c) for c in stored.values() if c]
    assert 0 < len(captured) < len(urls)
    for where in captured:
        assert read_fetch(warc, where).url in urls
    [finished] = warc.glob("*.warc.gz")  # whole records only, read to the end without an error
    assert len([f for _, f in fetches(finished) if f.url in urls]) == len(captured)


def test_crawler_extract_prints_what_crawler_fetch_prints_for_a_saved_page_and_for_its_warc_record(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    url = site.add("/reader/solidot.html", page_bytes("solidot"))
    fetched = run_crawler(["fetch", "--no-store", url], crawler_env, tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    online = {k: v for k, v in json.loads(fetched.stdout).items() if k not in VARIES}

    saved = tmp_path / "saved.html"
    saved.write_bytes(page_bytes("solidot"))
    from_page = run_crawler(["extract", str(saved), "--url", url], crawler_env, tmp_path)
    [warc] = (tmp_path / "data" / "warc").glob("*.warc.gz")
    from_warc = run_crawler(["extract", str(warc)], crawler_env, tmp_path)
    for offline in (from_page, from_warc):
        assert (offline.returncode, offline.stderr) == (0, "")
        assert {k: v for k, v in json.loads(offline.stdout).items() if k not in VARIES} == online


def test_crawler_extract_says_which_saved_page_gave_no_article_and_exits_1(
    crawler_env, tmp_path: Path
) -> None:
    good, empty = tmp_path / "pages" / "a.html", tmp_path / "pages" / "b.html"
    good.parent.mkdir()
    own = b'<head><link rel="canonical" href="http://www.solidot.org/story?sid=79532">'  # as saved pages have
    good.write_bytes(page_bytes("solidot").replace(b"<head>", own, 1))
    empty.write_text("<html><body><p>短</p></body></html>", encoding="utf-8")
    done = run_crawler(["extract", str(good.parent)], crawler_env, tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"crawler: {empty}: no article text on https://offline.invalid/b.html\n"
    read = json.loads(done.stdout)
    assert (read["url"], read["source"]) == (
        "http://www.solidot.org/story?sid=79532",
        "solidot",
    )  # its own URL


def test_reextract_gives_new_versions_marked_reextract_where_a_changed_rule_changes_the_article_only(
    site: Site, crawler_env, articles, unused_loopback_port: int, tmp_path: Path
) -> None:
    """A rule changed between the fetch and `crawler db reextract` (TITLE_MAX_CHARS, a setting):
    the article it changes gets a new version marked `reextract`, made from its WARC record with
    no network (the site is gone by then); the other gets nothing. Run again, nothing changes."""
    page = page_bytes("solidot")
    long_url = site.add("/r/long.html", page)
    short_url = site.add(
        "/r/short.html", page.replace("OpenAI 和微软的紧密关系出现裂缝".encode(), "微软与OpenAI".encode())
    )
    assert run_crawler(["fetch", long_url, short_url], crawler_env, tmp_path).returncode == 0
    before = {d["url"]: d for d in articles.find()}
    site.pages.clear()  # nothing is fetched again: every answer would be a 404 now

    cut = ["-s", "TITLE_MAX_CHARS=12"]
    done = run_crawler([*cut, "db", "reextract"], crawler_env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (
        done.stdout
        == "reextracted 2 article(s): 1 changed (new versions), 1 unchanged, 0 skipped, 0 failed\n"
    )
    after = {d["url"]: d for d in articles.find()}
    assert (after[long_url]["title"], after[long_url]["version"]) == ("OpenAI 和微软的紧", 2)
    assert after[short_url] == before[short_url]
    for field in ("fetch_count", "last_seen", "capture", "body"):  # no fetch counted, the same record
        assert after[long_url][field] == before[long_url][field]
    version = articles.database["article_versions"].find_one({"url": long_url, "version": 2})
    assert (version["cause"], version["capture"]) == ("reextract", before[long_url]["capture"])
    timeline = [
        json.loads(line)
        for line in run_crawler(["history", long_url], crawler_env, tmp_path).stdout.splitlines()
    ]
    assert [(e["version"], e["cause"]) for e in timeline] == [(1, "fetch"), (2, "reextract")]
    with serving(crawler_env, unused_loopback_port, tmp_path) as base:  # the dashboard says it too
        with urllib.request.urlopen(
            f"{base}/article?url={urllib.parse.quote(long_url)}", timeout=30
        ) as shown:
            assert "version 2 (reextract): OpenAI 和微软的紧" in shown.read().decode()

    again = run_crawler([*cut, "db", "reextract", "--url", long_url], crawler_env, tmp_path)
    assert (
        again.stdout
        == "reextracted 1 article(s): 0 changed (new versions), 1 unchanged, 0 skipped, 0 failed\n"
    )


def test_warc_keep_days_deletes_whole_finished_files_past_it_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "warc"
    files = WarcFiles(folder, writer_name(), 10**9)
    files.write(Fetch("http://127.0.0.1/old.html", datetime.now(UTC), 200, [], b"<html></html>"))
    files.close()
    [old] = folder.glob("*.warc.gz")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    files.write(Fetch("http://127.0.0.1/new.html", datetime.now(UTC), 200, [], b"<html></html>"))
    files.close()
    assert prune(folder, 0) == [] and len(list(folder.glob("*.warc.gz"))) == 2  # 0: kept for good
    assert prune(folder, 7) == ["1 file(s) older than 7 day(s) removed (WARC_KEEP_DAYS)"]
    assert [p.name for p in folder.glob("*.warc.gz")] != [old.name] and not old.exists()
    assert len(list(folder.glob("*.warc.gz"))) == 1


def test_db_index_warc_names_a_damaged_file_keeps_what_came_before_and_exits_1(
    crawler_env, articles, tmp_path: Path
) -> None:
    warc = tmp_path / "data" / "warc"
    files = WarcFiles(warc, writer_name(), 10**9)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    first = files.write(
        Fetch("http://www.solidot.org/a", at, 200, [("Content-Type", "text/html")], b"<p>a</p>")
    )
    second = files.write(
        Fetch("http://www.solidot.org/b", at, 200, [("Content-Type", "text/html")], b"<p>b</p>")
    )
    files.close()
    path = warc / first.file
    data = bytearray(path.read_bytes())
    data[second.offset + 10 : second.offset + 30] = b"\xff" * 20  # the second record's gzip member broken
    path.write_bytes(bytes(data))
    done = run_crawler(["db", "index-warc"], crawler_env, tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"crawler: data/warc/{first.file}: unreadable after 1 record(s) (")
    assert done.stdout == "indexed 1 record(s) of 1 file(s) in data/warc: 1 new, 0 already indexed\n"
    assert [d["url"] for d in articles.database["captures"].find()] == ["http://www.solidot.org/a"]


def test_db_index_warc_says_when_warc_dir_names_no_folder(crawler_env, tmp_path: Path) -> None:
    """An operator's typo in WARC_DIR is not "0 records indexed": it is said, and exit 1."""
    done = run_crawler(["-s", "WARC_DIR=data/wrac", "db", "index-warc"], crawler_env, tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "crawler: no WARC folder at data/wrac (WARC_DIR): nothing to index\n"
