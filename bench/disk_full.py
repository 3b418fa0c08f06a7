"""What a full disk does to acknowledged writes, in the embedded engine and through the crawler.

    sudo python bench/disk_full.py [--runs 3]

Root is needed to mount the small tmpfs each case runs on (as the tests do). A case fills the disk
with writes of 5 articles' worth (36 KB each, a version and the article, as a crawl's batch) and
counts the batches the store acknowledged; then the disk is freed, the store opened again (its
journal recovered) and the acknowledged ones still there are counted:

- `engine, filled by others`: SecantusDB alone, synced at commit, journalled writes (j: true), a
  disk that another process fills to the last byte before the writes: the engine's own behaviour.
- `crawler, filled by its writes`: the crawler's Store (the same server, started as a command
  does), writing until it refuses for want of room (Store.room, 20 MB).

Prints one line per case and run: acknowledged, found after recovery, lost. Goal for the crawler:
0 lost in every run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BODY = "段落" * 6000  # 36 KB of UTF-8 per article
ENGINE = """
import json, os, sys
import pymongo
from secantus import SecantusDBServer
folder, filler = sys.argv[1], sys.argv[2]
server = SecantusDBServer(storage_path=folder, sync_on_commit=True)
server.start()
client = pymongo.MongoClient(server.uri, serverSelectionTimeoutMS=3000, journal=True)
client.db.articles.insert_one({"_id": "first"})
with open(filler, "wb") as handle:  # another process takes all the room but 1.5 MB
    stat = os.statvfs(folder)
    os.posix_fallocate(handle.fileno(), 0, stat.f_bavail * stat.f_frsize - 1_500_000)
acked = []
try:
    for batch in range(100_000):
        docs = [{"_id": f"{batch}-{n}", "body": BODY + str(batch)} for n in range(5)]
        client.db.versions.insert_many([{"_id": d["_id"], "body": d["body"]} for d in docs])
        client.db.articles.insert_many(docs)
        acked += [d["_id"] for d in docs]
        client.db.counts.update_one({"_id": "n"}, {"$inc": {"n": 5}}, upsert=True)
except pymongo.errors.PyMongoError:
    pass
print(json.dumps(acked))
os._exit(0)
"""


def mounted(size: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="disk-full-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    return folder


def found(folder: Path, field: str, ids: list[str]) -> int:
    """How many of `ids` the store in `folder` has once its server was killed and started again
    (its journal recovered)."""
    import pymongo

    from crawler.store.embedded import ensure_served

    if (folder / "serving.json").exists():
        os.kill(json.loads((folder / "serving.json").read_text())["pid"], signal.SIGKILL)
    subprocess.run(["mount", "-o", "remount,size=96m", str(folder.parent)], check=True)  # space freed
    with pymongo.MongoClient(ensure_served(str(folder), idle_exit=1)) as client:
        return client.db.articles.count_documents({field: {"$in": ids}})


def engine_case() -> tuple[int, int]:
    disk = mounted("48m")
    try:
        run = subprocess.run(
            [sys.executable, "-c", f"BODY = {BODY!r}\n" + ENGINE, str(disk / "store"), str(disk / "filler")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        acked = json.loads(run.stdout)
        (disk / "filler").unlink()
        return len(acked), found(disk / "store", "_id", acked)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def crawler_case() -> tuple[int, int]:
    from scrapy.settings import Settings

    from crawler.failures import StoreUnavailable
    from crawler.sources import BUILT_IN
    from crawler.store.client import StoreClient
    from crawler.store.ingest import Store
    from tests.conftest import article_document

    disk = mounted("40m")
    try:
        settings = Settings({"MONGO_EMBEDDED_PATH": str(disk / "store"), "MONGO_EMBEDDED_IDLE_EXIT": 1})
        settings.setmodule("crawler.default_settings", priority="default")
        settings.set("MONGO_DATABASE", "db")
        settings.set("SPOOL_PATH", str(Path(tempfile.mkdtemp()) / "spool.jsonl"))
        store = Store(StoreClient(settings), BUILT_IN.outlets)
        store.prepare()
        acked: list[str] = []
        try:
            for batch in range(100_000):
                docs = [
                    article_document(f"https://example.com/{batch}/{n}.html", BODY + f"{batch}-{n}", None)
                    for n in range(5)
                ]
                store.write(docs)
                acked += [d["url"] for d in docs]
        except StoreUnavailable:
            pass
        store.close()
        return len(acked), found(disk / "store", "url", acked)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for name, case in (
        ("engine, filled by others", engine_case),
        ("crawler, filled by its writes", crawler_case),
    ):
        for run in range(1, args.runs + 1):
            acked, have = case()
            lost = acked - have
            print(f"{name:30} run {run}: {acked:4d} stored, {have:4d} there after recovery, {lost} lost")


if __name__ == "__main__":
    main()
