"""`crawler db regroup`: stored story groups settled again with today's rules and fingerprints,
run as the command a user types, against the real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.dedup.similarity import Thresholds
from crawler.sources import BUILT_IN
from crawler.store import regroup as regroup_module
from crawler.store.mongo import ensure_collection
from crawler.store.regroup import Checkpoint, Selection, regroup
from crawler.store.schema import stored_dedup
from tests.conftest import expected_json, run_crawler, store

STORY = expected_json("netease")["body"]
OTHER = expected_json("solidot")["body"]
THIRD = expected_json("daydaynews")["body"]
T0 = datetime(2023, 12, 16, 2, 25, tzinfo=UTC)
ORIGINAL, COPY = "https://www.163.com/dy/article/R.html", "https://mirror.example/r.html"
STRICT = Thresholds(min_coverage=0.99)


def edited(text: str) -> str:
    """Two thirds of the story, then another story: 70 % of the story is found in it."""
    paragraphs = text.split("\n")
    return "\n".join(paragraphs[: len(paragraphs) * 2 // 3]) + "\n" + OTHER


@pytest.fixture
def collection(articles):
    ensure_collection(articles)
    return articles


def groups(collection) -> dict[str, str | None]:
    return {d["url"]: d["duplicate_of"] for d in collection.find()}


def test_regroup_after_a_threshold_change_joins_and_splits_groups(
    collection, crawler_env, tmp_path: Path
) -> None:
    store(collection, ORIGINAL, STORY, T0, source="netease", thresholds=STRICT)
    store(collection, COPY, edited(STORY), T0 + timedelta(hours=2), thresholds=STRICT)
    assert groups(collection) == {ORIGINAL: None, COPY: None}  # 70 % of the story: not a copy at 0.99

    run = run_crawler(["db", "regroup"], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "regrouped 2 article(s): 0 fingerprint(s) renewed, 1 group(s) changed\n"
    assert "100%" in run.stderr and "articles" in run.stderr  # the progress bar
    assert groups(collection) == {ORIGINAL: None, COPY: ORIGINAL}
    assert collection.find_one({"url": ORIGINAL})["mirrors"] == [COPY]

    again = run_crawler(["-s", "DEDUP_MIN_COVERAGE=0.99", "db", "regroup"], crawler_env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert groups(collection) == {ORIGINAL: None, COPY: None}
    assert collection.find_one({"url": ORIGINAL})["cluster_size"] == 1
    assert not Path(crawler_env["SPOOL_PATH"] + ".regroup").exists()  # done: no checkpoint left


def test_fingerprints_of_an_older_version_are_renewed_and_their_copies_found(
    collection, crawler_env, tmp_path: Path
) -> None:
    store(collection, ORIGINAL, STORY, T0, source="netease")
    store(collection, COPY, edited(STORY), T0 + timedelta(hours=2))
    store(collection, "https://other.example/1.html", THIRD, T0)
    # as version 1 stored the copy: units hashed another way (so today's lookups miss it), no `v`
    old = stored_dedup({"units": [1, 2, 3], "lengths": [30, 30, 30], "body_key": "0" * 40, "keys": [1, 2, 3]})
    collection.update_one(
        {"url": COPY}, {"$set": {"dedup": old, "cluster_id": "ffffffffffffffffffff", "duplicate_of": None}}
    )
    collection.update_one(
        {"url": ORIGINAL}, {"$set": {"mirrors": [], "cluster_size": 1, "original_by": "only"}}
    )

    run = run_crawler(["db", "regroup", "--source", "generic"], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "regrouped 2 article(s): 1 fingerprint(s) renewed, 1 group(s) changed\n"
    copy = collection.find_one({"url": COPY})
    assert (copy["dedup"]["v"], copy["duplicate_of"]) == (2, ORIGINAL)
    assert collection.find_one({"url": ORIGINAL})["mirrors"] == [COPY]


def test_a_stopped_regroup_goes_on_from_its_checkpoint(collection, tmp_path: Path, monkeypatch) -> None:
    for n in range(4):
        store(
            collection,
            f"https://site{n}.example/a.html",
            edited(STORY) if n else STORY,
            T0 + timedelta(hours=n),
            thresholds=STRICT,
        )
    monkeypatch.setattr(regroup_module, "BATCH", 1)
    checkpoint = Checkpoint(tmp_path / "regroup")
    batches: list[int] = []

    def stop_after_two(n: int) -> None:
        batches.append(n)
        if len(batches) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        regroup(collection, BUILT_IN.outlets, Thresholds(), Selection(), checkpoint, stop_after_two)
    assert checkpoint.load(Selection()).seen == 2
    assert checkpoint.load(Selection(source="netease")).seen == 0  # another selection starts over

    done = regroup(collection, BUILT_IN.outlets, Thresholds(), Selection(), checkpoint)
    assert (done.seen, len(batches)) == (4, 2)  # the two done are not done again
    assert not checkpoint.path.exists()
    assert sorted(groups(collection).values(), key=str) == [None] + ["https://site0.example/a.html"] * 3


def test_a_resumed_regroup_command_ends_its_bar_at_100_percent(
    collection, crawler_env, tmp_path: Path, monkeypatch
) -> None:
    for n in range(4):
        store(collection, f"https://site{n}.example/a.html", edited(STORY), T0 + timedelta(hours=n))
    monkeypatch.setattr(regroup_module, "BATCH", 1)
    checkpoint = Checkpoint(Path(crawler_env["SPOOL_PATH"] + ".regroup"))
    checkpoint.path.parent.mkdir(parents=True)

    def stop_after_one(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        regroup(collection, BUILT_IN.outlets, Thresholds(), Selection(), checkpoint, stop_after_one)
    run = run_crawler(["db", "regroup"], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("regrouped 4 article(s)")
    last_bar = run.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert "100%" in last_bar and "4/4" in last_bar, last_bar


def test_a_torn_checkpoint_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "regroup"
    path.write_text('{"selection": "[null, nu', encoding="utf-8")
    assert Checkpoint(path).load(Selection()).seen == 0
