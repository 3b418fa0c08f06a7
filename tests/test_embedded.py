"""With no MONGO_URI the crawler works out of the box on an embedded SecantusDB, and `crawler db
serve` shares that store with downstream readers over the MongoDB wire protocol."""

import json
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
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = serve.stdout.readline()
        assert f"at mongodb://127.0.0.1:{unused_loopback_port}/" in line
        # while it serves, other commands use that server instead of opening the folder themselves
        again = run_crawler(["fetch", url], env, tmp_path)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["fetch_count"] == 2
        with pymongo.MongoClient(f"mongodb://127.0.0.1:{unused_loopback_port}/", serverSelectionTimeoutMS=5000) as client:
            doc = client[env["MONGO_DATABASE"]].articles.find_one({"url": url})
        assert doc["title"] == "OpenAI發現不對勁,直接上書白宮:像對待華為一樣對待DeepSeek"
        assert doc["fetch_count"] == 2
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
    assert serve.returncode == 0
    assert not (Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").exists()


def test_db_serve_binds_to_loopback_by_default() -> None:
    from crawler.cli.main import build_parser

    args = build_parser().parse_args(["db", "serve"])
    assert (args.host, args.port) == ("127.0.0.1", 27018)
