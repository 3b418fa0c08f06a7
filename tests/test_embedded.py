"""With no MONGO_URI the crawler works out of the box on an embedded SecantusDB, and `crawler db
serve` shares that store with downstream readers over the MongoDB wire protocol."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pymongo
import pymongo.collection

from tests.conftest import page_bytes, run_crawler, wait_for
from tests.site import Site
from tests.test_faults import IDENTS, outage_crawl
from tests.test_runs import ARTICLE, article


def test_fetch_without_mongo_uri_stores_in_the_embedded_store_that_db_serve_shares(
    site: Site, crawler_env, tmp_path: Path, unused_loopback_port: int
) -> None:
    env = embedded(crawler_env)
    url = site.add("/reader/002.html", page_bytes("flat_002"))
    first = run_crawler(["fetch", url], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert (Path(env["MONGO_EMBEDDED_PATH"]) / "WiredTiger").exists()

    serve = db_serve(env, tmp_path, unused_loopback_port)
    try:
        line = serve.stdout.readline()
        assert f"at mongodb://127.0.0.1:{unused_loopback_port}/" in line
        # while it serves, other commands use that server instead of opening the folder themselves
        again = run_crawler(["fetch", url], env, tmp_path)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["fetch_count"] == 2
        with pymongo.MongoClient(
            f"mongodb://127.0.0.1:{unused_loopback_port}/", serverSelectionTimeoutMS=5000
        ) as client:
            doc = client[env["MONGO_DATABASE"]].articles.find_one({"url": url})
        assert doc["title"] == "OpenAI發現不對勁,直接上書白宮:像對待華為一樣對待DeepSeek"
        assert doc["fetch_count"] == 2
    finally:
        # the kernel may hand a SIGTERM to any of its threads (kill(2) on a thread's id makes it that
        # one): the server still stops, cleanly (on the old main it hung, one stop in fourteen in CI)
        signal_through_a_thread(serve.pid, signal.SIGTERM)
        serve.wait(30)
    assert serve.returncode == 0
    assert not (Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists()


def signal_through_a_thread(pid: int, sig: int) -> None:
    """Send `sig` by the id of one of the process's threads other than its main one (Linux:
    /proc/PID/task), the newest that is still there: threads come and go while we look."""
    for tid in sorted(
        (int(t.name) for t in Path(f"/proc/{pid}/task").iterdir() if int(t.name) != pid), reverse=True
    ):
        try:
            os.kill(tid, sig)
            return
        except ProcessLookupError:
            continue  # that thread ended meanwhile
    raise AssertionError(f"process {pid} has no thread but its main one")


def test_db_serve_binds_to_loopback_by_default() -> None:
    from crawler.cli.main import build_parser

    args = build_parser().parse_args(["db", "serve"])
    assert (args.host, args.port) == ("127.0.0.1", None)  # the folder's last port, else 27018


def test_the_readme_example_runs_on_the_embedded_default_while_the_api_serves_it(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """`crawler api &` then `crawler fetch`, `crawler status` and `crawler export`, with no
    MONGO_URI: every one is a client of a server no command owns, which leaves on its own once
    the last client is gone."""
    from tests.test_api import Api

    env = embedded(crawler_env)
    url = site.add("/reader/002.html", page_bytes("flat_002"))
    api = Api(env | {"API_ALLOW": "127.0.0.1"}, tmp_path)  # the test site is on loopback
    try:
        assert api.call("/health") == (200, {"status": "ok"})  # the API connects on first use
        record = serving(env)
        assert record["pid"] != api.process.pid and record["detached"] is True
        assert record["uri"].startswith("mongodb://127.0.0.1:")
        fetch = run_crawler(["fetch", url], env, tmp_path)
        assert fetch.returncode == 0 and fetch.stderr == "", fetch.stderr
        assert json.loads(fetch.stdout)["url"] == url
        status = run_crawler(["status"], env, tmp_path)
        assert status.returncode == 0, status.stderr
        generic = next(line.split() for line in status.stdout.splitlines() if line.startswith("generic "))
        assert generic[1:3] == ["never", "-"] and generic[-3:] == ["1", "on", "demand"]  # not scheduled
        export = run_crawler(["export"], env, tmp_path)
        assert export.returncode == 0, export.stderr
        assert [json.loads(line)["url"] for line in export.stdout.splitlines()] == [url]
        assert api.fetch(url)[1]["fetch_count"] == 2  # the API sees what the command stored
        assert serving(env) == record  # one server for them all
    finally:
        api.stop()
    wait_for(lambda: not (Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists(), 30)  # idle exit
    wait_for(lambda: not alive(record["pid"]), 30)


def test_a_stale_serving_record_is_replaced_by_the_next_command(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    env = embedded(crawler_env)
    folder = Path(env["MONGO_EMBEDDED_PATH"])
    folder.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (folder / "serving.json").write_text(
        json.dumps({"uri": "mongodb://127.0.0.1:1/", "pid": int(dead.stdout)})
    )
    url = site.add("/reader/003.html", page_bytes("flat_003"))
    fetch = run_crawler(["fetch", url], env, tmp_path)
    assert fetch.returncode == 0, fetch.stderr
    assert serving(env)["pid"] not in (int(dead.stdout), os.getpid()) and alive(serving(env)["pid"])


def test_twenty_fetches_started_at_once_on_a_fresh_folder_store_every_article(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """On the old main the first `fetch` served the folder and took it away as it exited: 16 to
    19 of the 20 said "not stored: the store was unavailable"."""
    env = embedded(crawler_env)
    urls = [site.add(ARTICLE.format(ident), article(ident)) for ident in IDENTS[:20]]
    fetches = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler.cli.main", "fetch", url],
            env=env | {"http_proxy": site.base},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for url in urls
    ]
    for fetch in fetches:
        out, err = fetch.communicate(timeout=240)
        assert fetch.returncode == 0, err
        assert json.loads(out)["version"] == 1
    canonical = sorted(url.replace("http://", "https://") for url in urls)  # netease's canonical form
    assert sorted(d["url"] for d in stored(env).find()) == canonical
    assert not (tmp_path / "spool" / "articles.jsonl").exists()


def test_the_server_killed_mid_crawl_comes_back_for_the_crawl_and_the_api_with_nothing_spooled(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """The command that started the store exits, then the store's server itself is SIGKILLed
    while a crawl writes and the API serves: the first client to notice starts the next server
    on the same port, and both carry on."""
    from tests.test_api import Api

    env = embedded(crawler_env)
    url = site.add("/reader/002.html", page_bytes("flat_002"))
    first = run_crawler(["fetch", url], env, tmp_path)
    assert first.returncode == 0, first.stderr  # it started the server, and is gone
    api = Api(env | {"API_ALLOW": "127.0.0.1"}, tmp_path)
    try:
        crawl = outage_crawl(site, env, tmp_path)
        wait_for(lambda: stored(env).count_documents({"source": "netease"}) >= 4)
        killed = serving(env)
        os.kill(killed["pid"], signal.SIGKILL)
        out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 0, err[-3000:]
        assert serving(env)["pid"] != killed["pid"] and serving(env)["uri"] == killed["uri"]
        assert stored(env).count_documents({"source": "netease"}) == len(IDENTS)
        assert api.call("/health") == (200, {"status": "ok"})
        assert api.fetch(url)[1]["fetch_count"] == 2
    finally:
        api.stop()
    assert not (tmp_path / "spool" / "articles.jsonl").exists()
    record = pymongo.MongoClient(serving(env)["uri"])[env["MONGO_DATABASE"]]["crawls"].find_one()
    assert (record["status"], record["articles"]["new"], record["articles"]["spooled"]) == ("ok", 20, 0)


def test_db_serve_stopped_mid_crawl_hands_the_folder_to_a_detached_server_the_crawl_keeps_writing_to(
    site: Site, crawler_env, tmp_path: Path, unused_loopback_port: int
) -> None:
    """On the old main the crawl waited MONGO_OUTAGE_LIMIT, spooled 140 of 200 and failed."""
    env = embedded(crawler_env)
    serve = db_serve(env, tmp_path, unused_loopback_port)
    assert f"at mongodb://127.0.0.1:{unused_loopback_port}/" in serve.stdout.readline()
    crawl = outage_crawl(site, env, tmp_path)
    wait_for(lambda: stored(env).count_documents({}) >= 4)
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(30) == 0
    out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err[-3000:]
    assert serving(env)["detached"] and serving(env)["uri"] == f"mongodb://127.0.0.1:{unused_loopback_port}/"
    assert stored(env).count_documents({}) == len(IDENTS)
    assert not (tmp_path / "spool" / "articles.jsonl").exists()


def test_a_crawl_killed_right_after_its_spider_closed_keeps_its_run_record(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """On the old main the crawl served the store itself, and its commits were not synced: a
    SIGKILL after "Spider closed" left 200 articles stored, no run record, and status said never."""
    env = embedded(crawler_env)
    crawl = outage_crawl(site, env, tmp_path)
    for line in crawl.stderr:
        if "Spider closed (finished)" in line:
            crawl.kill()
            break
    crawl.wait(30)
    assert crawl.returncode == -signal.SIGKILL
    runs = pymongo.MongoClient(serving(env)["uri"])[env["MONGO_DATABASE"]]["crawls"]
    [record] = runs.find()
    assert (record["source"], record["status"], record["articles"]["new"]) == ("netease", "ok", len(IDENTS))
    status = run_crawler(["status"], env, tmp_path)
    assert " ok " in next(line for line in status.stdout.splitlines() if line.startswith("netease "))


def db_serve(env: dict[str, str], cwd: Path, port: int) -> subprocess.Popen:
    """`crawler db serve --port PORT` in the foreground, its output read by the test."""
    command = [sys.executable, "-m", "crawler.cli.main", "db", "serve", "--port", str(port)]
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen(command, env=env, cwd=cwd, **piped)


def embedded(env: dict[str, str]) -> dict[str, str]:
    """The environment with no MONGO_URI: the embedded store on MONGO_EMBEDDED_PATH."""
    return {k: v for k, v in env.items() if k != "MONGO_URI"}


def serving(env: dict[str, str]) -> dict:
    return json.loads((Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").read_text())


def stored(env: dict[str, str]) -> pymongo.collection.Collection:
    client = pymongo.MongoClient(serving(env)["uri"], serverSelectionTimeoutMS=10000)
    return client[env["MONGO_DATABASE"]]["articles"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_db_serve_refuses_a_network_address_without_the_explicit_flag(crawler_env, tmp_path: Path) -> None:
    refused = run_crawler(["db", "serve", "--host", "0.0.0.0"], crawler_env, tmp_path)
    assert refused.returncode == 2
    assert "no authentication" in refused.stderr and "--unauthenticated-network" in refused.stderr
    assert not (Path(crawler_env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists()
