"""With no MONGO_URI the crawler works out of the box on an embedded SecantusDB, and `crawler db
serve` shares that store with downstream readers over the MongoDB wire protocol."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pymongo

from tests.conftest import page_bytes, run_crawler
from tests.site import Site


def test_fetch_without_mongo_uri_stores_in_the_embedded_store_that_db_serve_shares(
    site: Site, crawler_env, tmp_path: Path, unused_loopback_port: int
) -> None:
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
    url = site.add("/reader/002.html", page_bytes("flat_002"))
    first = run_crawler(["fetch", url], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert (Path(env["MONGO_EMBEDDED_PATH"]) / "WiredTiger").exists()

    serve = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "db", "serve", "--port", str(unused_loopback_port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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
    assert (args.host, args.port) == ("127.0.0.1", 27018)


def test_the_readme_example_runs_on_the_embedded_default_while_the_api_serves_it(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """`crawler api &` then `crawler fetch`, `crawler status` and `crawler export`, with no
    MONGO_URI: on the old main each of them failed, "WiredTiger database is already being managed
    by another process"."""
    from tests.test_api import Api

    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
    url = site.add("/reader/002.html", page_bytes("flat_002"))
    api = Api(env | {"API_ALLOW": "127.0.0.1"}, tmp_path)  # the test site is on loopback
    try:
        record = json.loads((Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").read_text())
        assert record["pid"] == api.process.pid and record["uri"].startswith("mongodb://127.0.0.1:")
        fetch = run_crawler(["fetch", url], env, tmp_path)
        assert fetch.returncode == 0 and fetch.stderr == "", fetch.stderr
        assert json.loads(fetch.stdout)["url"] == url
        status = run_crawler(["status"], env, tmp_path)
        assert status.returncode == 0, status.stderr
        generic = next(line.split() for line in status.stdout.splitlines() if line.startswith("generic "))
        assert generic[1:3] == ["never", "-"] and generic[-3:] == [
            "1",
            "on",
            "demand",
        ]  # stored 1, not scheduled
        export = run_crawler(["export"], env, tmp_path)
        assert export.returncode == 0, export.stderr
        assert [json.loads(line)["url"] for line in export.stdout.splitlines()] == [url]
        assert api.fetch(url)[1]["fetch_count"] == 2  # the API sees what the command stored
    finally:
        api.stop()
    assert not (Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists()


def test_a_stale_serving_record_is_replaced_by_the_next_command(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
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
    assert not (folder / "serving.json").exists()  # its own record, removed as it ended


def test_db_serve_refuses_a_network_address_without_the_explicit_flag(crawler_env, tmp_path: Path) -> None:
    refused = run_crawler(["db", "serve", "--host", "0.0.0.0"], crawler_env, tmp_path)
    assert refused.returncode == 2
    assert "no authentication" in refused.stderr and "--unauthenticated-network" in refused.stderr
    assert not (Path(crawler_env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists()
