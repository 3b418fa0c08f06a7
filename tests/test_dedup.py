"""Near-duplicate grouping, through the real store (SecantusDB over TCP) and the real fingerprints."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from pymongo import monitoring
from simhash import Simhash

from crawler.dedup.fingerprint import MAX_UNITS, SHINGLE, fingerprint, gram_hash
from crawler.dedup.index import LOOKUP_KEYS, candidate_query
from crawler.dedup.normalise import normalise, sentence_units
from crawler.dedup.similarity import similarity
from crawler.extract.lang import converter
from crawler.sources import BUILT_IN
from crawler.store.counters import Tallies
from crawler.store.groups import LOOKUP_CHUNK
from crawler.store.ingest import ingest
from crawler.store.mongo import connect, ensure_collection
from tests.conftest import article_document, expected_json, store

STORY = expected_json("netease")["body"]
OTHER = expected_json("daydaynews")["body"]
SOLIDOT = expected_json("solidot")["body"]
T0 = datetime(2023, 12, 16, 2, 25, tzinfo=UTC)
TAIL = "\n".join(
    [
        "相关阅读",
        "欧冠小组赛战罢!前八出炉英超五队直通,皇马国米巴黎落入附加赛",
        "鲁比奥:美国很快将在委内瑞拉设外交机构",
        "纽约期金突破5620美元/盎司,日内涨5.32%",
    ]
)


def group(collection) -> dict[str, tuple[str, str | None]]:
    return {d["url"]: (d["cluster_id"], d["duplicate_of"]) for d in collection.find()}


@pytest.fixture
def collection(articles):
    ensure_collection(articles)
    return articles


def trimmed(text: str, share: float) -> str:
    paragraphs = text.split("\n")
    return "\n".join(paragraphs[: max(1, int(len(paragraphs) * (1 - share)))])


def test_normalisation_folds_script_width_and_punctuation() -> None:
    assert (
        normalise("華為：ＤｅｅｐＳｅｅｋ，「與華為一樣」！")
        == normalise("华为:DeepSeek, 与华为一样!")
        == "华为deepseek与华为一样"
    )
    assert sentence_units("短句。這是一個足夠長的句子，用來生成指紋。") == [
        "短句这是一个足够长的句子用来生成指纹"
    ]


def test_unit_fingerprints_are_the_simhash_packages_values() -> None:
    text = (
        STORY + "短。" + "重复重复重复重复。" + "中" * 200 + "。"
    )  # simhash 2.1.2 overflows past 255 repeats
    expected = []
    for unit in sentence_units(text)[:MAX_UNITS]:
        counts = Counter(unit[i : i + SHINGLE] for i in range(max(len(unit) - SHINGLE + 1, 1)))
        value = Simhash(dict(counts), hashfunc=gram_hash).value
        expected.append(value - (1 << 64) if value >= 1 << 63 else value)
    assert fingerprint(text).units == tuple(expected)


def test_a_shared_sentence_is_a_shared_index_key_also_with_articles_stored_with_band_keys() -> None:
    story, mirror = fingerprint(STORY), fingerprint(converter("s2t").convert(STORY) + "来源：中时")
    assert set(story.keys) & set(mirror.keys)
    assert len(story.keys) == len(set(story.units))
    # earlier versions stored two keys per unit, (band << 32) | half; band 0 is today's key
    band_keys = {
        (band << 32) | ((u & (2**64 - 1)) >> (32 * band)) & 0xFFFFFFFF for u in story.units for band in (0, 1)
    }
    assert set(story.keys) <= band_keys


def test_a_very_long_text_fingerprints_without_error() -> None:
    text = "中" * 200_000 + "。" + "新闻正文的句子很长。" * 20_000
    fp = fingerprint(text)
    assert fp.units and len(fp.units) <= 64 and len(fp.units) == len(fp.lengths)


def test_similarity_finds_mirrors_and_refuses_other_stories() -> None:
    base = fingerprint(STORY)
    assert similarity(base, fingerprint(converter("s2t").convert(STORY))) >= 0.95
    assert similarity(base, fingerprint(trimmed(STORY, 0.3) + "\n来源：网易")) >= 0.9
    assert similarity(base, fingerprint(OTHER)) is None
    assert similarity(base, fingerprint(SOLIDOT)) is None


@pytest.mark.parametrize("order", ["original first", "mirror first"])
def test_mirror_pair_ends_with_the_same_original_in_both_arrival_orders(collection, order: str) -> None:
    original = ("https://www.163.com/dy/article/A.html", STORY, T0)
    mirror = ("https://mirror.example/a.html", trimmed(STORY, 0.2), T0 + timedelta(hours=5))
    for url, body, published in [original, mirror] if order == "original first" else [mirror, original]:
        store(collection, url, body, published)
    groups = group(collection)
    assert groups[original[0]][1] is None
    assert groups[mirror[0]][1] == original[0]
    assert groups[original[0]][0] == groups[mirror[0]][0]
    doc = collection.find_one({"url": original[0]})
    assert (doc["mirrors"], doc["cluster_size"]) == ([mirror[0]], 2)
    assert collection.find_one({"url": mirror[0]})["dup_score"] >= 0.9


def test_traditional_copy_joins_its_simplified_original(collection) -> None:
    store(collection, "https://www.163.com/dy/article/B.html", STORY, T0)
    store(
        collection,
        "https://daydaynews.cc/zh-hant/technology/1.html",
        converter("s2twp").convert(STORY),
        T0 + timedelta(days=1),
    )
    assert (
        group(collection)["https://daydaynews.cc/zh-hant/technology/1.html"][1]
        == "https://www.163.com/dy/article/B.html"
    )


def test_trimmed_copy_with_attribution_and_headline_tail_joins(collection) -> None:
    store(collection, "https://www.163.com/dy/article/C.html", STORY, T0)
    copy = converter("s2t").convert(trimmed(STORY, 0.25)) + "\n來源：網易\n" + TAIL
    store(collection, "https://mirror.example/c.html", copy, None)
    assert group(collection)["https://mirror.example/c.html"][1] == "https://www.163.com/dy/article/C.html"


def test_stories_that_share_only_a_template_and_tail_stay_apart(collection) -> None:
    store(collection, "https://mirror.example/1.html", STORY + "\n" + TAIL, T0)
    store(collection, "https://mirror.example/2.html", SOLIDOT + "\n" + TAIL, T0)
    store(collection, "https://mirror.example/3.html", OTHER + "\n" + TAIL, T0)
    groups = group(collection)
    assert len({cluster for cluster, _ in groups.values()}) == 3
    assert {dup for _, dup in groups.values()} == {None}


def test_an_older_copy_arriving_later_becomes_the_original(collection) -> None:
    store(collection, "https://mirror.example/late1.html", STORY, T0 + timedelta(hours=3))
    store(collection, "https://mirror.example/late2.html", trimmed(STORY, 0.2), T0 + timedelta(hours=6))
    store(collection, "https://www.163.com/dy/article/D.html", STORY, T0)
    groups = group(collection)
    assert groups["https://www.163.com/dy/article/D.html"][1] is None
    assert groups["https://mirror.example/late1.html"][1] == "https://www.163.com/dy/article/D.html"
    assert groups["https://mirror.example/late2.html"][1] == "https://www.163.com/dy/article/D.html"
    assert collection.find_one({"url": "https://www.163.com/dy/article/D.html"})["cluster_size"] == 3


def test_without_times_the_copy_others_name_as_origin_is_the_original(collection) -> None:
    store(collection, "https://mirror.example/e.html", STORY, None, origin="网易新闻")
    store(collection, "https://www.163.com/dy/article/E.html", STORY, None, source="netease")
    assert group(collection)["https://mirror.example/e.html"][1] == "https://www.163.com/dy/article/E.html"


def test_a_reposters_day_only_copy_stored_first_points_to_the_netease_story_that_ran_that_morning(
    collection,
) -> None:
    """On the old main the re-poster's day-only time, stored as 00:00, made it the original."""
    day = datetime(2023, 12, 15, 16, 0, tzinfo=UTC)  # 2023-12-16, a day-only time in Asia/Shanghai
    store(
        collection,
        "https://daydaynews.cc/zh-hant/technology/1.html",
        converter("s2t").convert(STORY),
        day,
        source="daydaynews",
    )
    store(collection, "https://www.163.com/dy/article/F.html", STORY, T0, source="netease")  # 10:25 that day
    docs = {d["url"]: d for d in collection.find()}
    assert (
        docs["https://daydaynews.cc/zh-hant/technology/1.html"]["duplicate_of"]
        == "https://www.163.com/dy/article/F.html"
    )
    assert {d["original_by"] for d in docs.values()} == {"not_repost"}
    assert docs["https://www.163.com/dy/article/F.html"]["mirrors"] == [
        "https://daydaynews.cc/zh-hant/technology/1.html"
    ]


def test_a_copy_crediting_netease_defers_to_it_though_stamped_earlier(collection) -> None:
    store(
        collection,
        "https://www.bannedbook.org/bnews/1.html",
        STORY + "\n来源：网易",
        T0 - timedelta(hours=2),
        origin="网易",
        source="bannedbook",
    )
    store(collection, "https://www.163.com/dy/article/G.html", STORY, T0, source="netease")
    bannedbook = collection.find_one({"url": "https://www.bannedbook.org/bnews/1.html"})
    assert (bannedbook["duplicate_of"], bannedbook["original_by"]) == (
        "https://www.163.com/dy/article/G.html",
        "credited",
    )


def _store_in_process(uri: str, db: str, url: str, body: str, start) -> None:
    collection = connect(uri, 5000)[db]["articles"]
    start.wait()
    store(collection, url, body, T0)


def test_two_processes_storing_copies_at_once_end_with_one_group(
    collection, mongo_uri: str, db_name: str
) -> None:
    ctx = multiprocessing.get_context("spawn")
    for round_, story in enumerate((STORY, OTHER, SOLIDOT)):
        start = ctx.Event()
        urls = [f"https://a.example/{round_}.html", f"https://b.example/{round_}.html"]
        bodies = [story, converter("s2t").convert(story)]
        workers = [
            ctx.Process(target=_store_in_process, args=(mongo_uri, db_name, u, b, start))
            for u, b in zip(urls, bodies, strict=True)
        ]
        for w in workers:
            w.start()
        start.set()
        for w in workers:
            w.join(60)
            assert w.exitcode == 0
        docs = {d["url"]: d for d in collection.find({"url": {"$in": urls}})}
        assert docs[urls[0]]["cluster_id"] == docs[urls[1]]["cluster_id"]
        assert sorted(d["duplicate_of"] is None for d in docs.values()) == [False, True]


def test_a_lookup_asks_for_the_smallest_few_keys_and_still_finds_an_original_stored_after_its_trimmed_copy(
    collection,
) -> None:
    """The query is small (LOOKUP_KEYS keys, the article's smallest: a consistent sample); every
    key is indexed, so the original arriving after its trimmed copy finds it by a shared one."""
    whole = fingerprint(STORY)
    assert len(whole.keys) > LOOKUP_KEYS
    assert candidate_query(whole) == {"dedup.keys": {"$in": sorted(whole.keys)[:LOOKUP_KEYS]}}
    store(collection, "https://mirror.example/t.html", trimmed(STORY, 0.3), T0 + timedelta(days=1))
    store(collection, "https://www.163.com/dy/article/T.html", STORY, T0)
    assert group(collection)["https://mirror.example/t.html"][1] == "https://www.163.com/dy/article/T.html"


def test_candidate_lookups_are_index_scans_not_collection_scans(collection) -> None:
    store(collection, "https://www.163.com/dy/article/F.html", STORY, T0)
    for query in (candidate_query(fingerprint(STORY)), candidate_query(fingerprint("短。"))):
        plan = collection.find(query).explain()["queryPlanner"]["winningPlan"]
        assert plan.get("inputStage", {}).get("stage") == "IXSCAN", plan


def synthetic_story(seed: int, sentences: int = 6) -> str:
    """A story no other shares: sentences of characters drawn at random from common Han text."""
    import random

    rng = random.Random(seed)
    pool = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
        "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
        "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
        "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
        "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
        "必战先回则任取据处理府研质信"
    )
    return (
        "。".join("".join(rng.choice(pool) for _ in range(rng.randint(24, 40))) for _ in range(sentences))
        + "。"
    )


def test_text_many_unrelated_stories_share_is_no_evidence(collection) -> None:
    disclaimer = (
        "本文仅代表作者本人观点，与本网站立场无关，本网站对文中陈述、观点判断保持中立。"
        "转载请注明出处并保留本文的完整链接，否则将追究法律责任。"
    )
    for n in range(20):
        store(collection, f"https://site.example/{n}.html", synthetic_story(n) + "\n" + disclaimer, T0)
    short = synthetic_story(100, sentences=3) + "\n" + disclaimer
    store(collection, "https://site.example/new.html", short, T0)
    assert collection.find_one({"url": "https://site.example/new.html"})["duplicate_of"] is None
    assert collection.count_documents({"cluster_size": {"$gt": 1}}) == 0
    # the same short story again is still found: boilerplate is dropped, not the story's own text
    store(
        collection,
        "https://mirror.example/new.html",
        converter("s2t").convert(short),
        T0 + timedelta(hours=1),
    )
    assert (
        collection.find_one({"url": "https://mirror.example/new.html"})["duplicate_of"]
        == "https://site.example/new.html"
    )


def test_a_refetch_with_the_originals_real_time_re_points_the_group(collection) -> None:
    """The text is unchanged, only the time: on the old main no regrouping followed, and the
    mirror's minute-precise time kept beating NetEase's day-only one."""
    mirror, netease = "https://mirror.example/k.html", "https://www.163.com/dy/article/K.html"
    store(collection, mirror, trimmed(STORY, 0.1), T0 + timedelta(hours=4), precision="minute")
    store(
        collection,
        netease,
        STORY,
        datetime(2023, 12, 15, 16, 0, tzinfo=UTC),
        source="netease",
        precision="day",
    )
    assert group(collection)[netease][1] == mirror  # a day-only time: no earlier than the mirror
    store(collection, netease, STORY, T0, source="netease", precision="minute")  # now with 10:25
    docs = {d["url"]: d for d in collection.find()}
    assert (docs[mirror]["duplicate_of"], docs[mirror]["original_by"]) == (netease, "earliest")
    assert (docs[netease]["duplicate_of"], docs[netease]["mirrors"], docs[netease]["cluster_size"]) == (
        None,
        [mirror],
        2,
    )
    assert docs[netease]["fetch_count"] == 2 and docs[netease]["version"] == 1


def test_a_member_whose_new_version_is_another_story_leaves_its_group(collection) -> None:
    original, drifted = "https://www.163.com/dy/article/L.html", "https://mirror.example/l.html"
    store(collection, original, STORY, T0, source="netease")
    store(collection, drifted, trimmed(STORY, 0.2), T0 + timedelta(hours=1))
    store(
        collection, "https://mirror.example/l2.html", converter("s2t").convert(STORY), T0 + timedelta(hours=2)
    )
    assert group(collection)[drifted] == (group(collection)[original][0], original)
    store(collection, drifted, OTHER, T0 + timedelta(hours=1))  # the page now holds another story
    docs = {d["url"]: d for d in collection.find()}
    assert docs[drifted]["cluster_id"] != docs[original]["cluster_id"]
    assert (docs[drifted]["duplicate_of"], docs[drifted]["mirrors"], docs[drifted]["original_by"]) == (
        None,
        [],
        "only",
    )
    assert (docs[original]["mirrors"], docs[original]["cluster_size"]) == (
        ["https://mirror.example/l2.html"],
        2,
    )


def test_the_last_copy_leaving_makes_the_original_a_story_of_its_own_again(collection) -> None:
    original, drifted = "https://www.163.com/dy/article/M.html", "https://mirror.example/m.html"
    store(collection, original, STORY, T0, source="netease")
    store(collection, drifted, trimmed(STORY, 0.2), T0 + timedelta(hours=1))
    store(collection, drifted, SOLIDOT, T0 + timedelta(hours=1))
    doc = collection.find_one({"url": original})
    assert (doc["mirrors"], doc["cluster_size"], doc["original_by"], doc["duplicate_of"]) == (
        [],
        1,
        "only",
        None,
    )


class Writes(monitoring.CommandListener):
    """The articles each write statement the server receives is for (its filter's URL)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command["update"] == "articles":
            self.urls += [u["q"].get("url", str(u["q"])) for u in event.command["updates"]]

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_join_writes_the_new_copy_and_the_original_only(collection, mongo_uri: str) -> None:
    """On the old main every join rewrote every member (cluster_size on each): O(n²) writes."""
    original = "https://www.163.com/dy/article/N.html"
    store(collection, original, STORY, T0, source="netease", precision="minute")
    for n in range(1, 6):
        store(
            collection,
            f"https://mirror{n}.example/n.html",
            trimmed(STORY, 0.05 * n),
            T0 + timedelta(hours=n),
            precision="minute",
        )
    before = {d["url"]: d for d in collection.find()}
    writes = Writes()
    with pymongo.MongoClient(mongo_uri, tz_aware=True, event_listeners=[writes]) as client:
        watched = client[collection.database.name][collection.name]
        store(
            watched,
            "https://mirror6.example/n.html",
            trimmed(STORY, 0.3),
            T0 + timedelta(hours=6),
            precision="minute",
        )
    new = "https://mirror6.example/n.html"
    merges = [w for w in writes.urls if w.startswith("{'cluster_id'")]  # the new copy moved into the group
    assert len(merges) == 1 and merges[0].count("', '") == 0  # of one cluster: the copy's own
    assert sorted(w for w in writes.urls if w not in merges) == sorted([new, original])
    after = {d["url"]: d for d in collection.find()}
    assert all(after[url] == doc for url, doc in before.items() if url != original)
    assert (after[original]["cluster_size"], len(after[original]["mirrors"])) == (7, 6)


class Lookups(monitoring.CommandListener):
    """The unit-key lookups the server receives: how many, and for how many keys each."""

    def __init__(self) -> None:
        self.keys: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and "dedup.keys" in event.command.get("filter", {}):
            self.keys.append(len(event.command["filter"]["dedup.keys"]["$in"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_batch_looks_for_copies_once_per_chunk_and_joins_only_the_articles_that_have_some(
    collection, mongo_uri: str
) -> None:
    """A crawl stores 100 new articles at a time, nearly all stories of their own: one lookup for
    every LOOKUP_CHUNK of them, then the full join only for those a lookup found others for (on the
    old main, a lookup per article). A copy finds its original whether that was stored before the
    batch, earlier in it, or in the batch's other chunk."""
    original = "https://www.163.com/dy/article/P.html"
    store(collection, original, STORY, T0, source="netease", precision="minute")
    docs = [
        article_document(f"https://lone.example/{n}.html", synthetic_story(n), T0 + timedelta(hours=1))
        for n in range(2 * LOOKUP_CHUNK + 1)
    ]
    docs[3] = article_document("https://mirror.example/p.html", trimmed(STORY, 0.2), T0 + timedelta(hours=2))
    docs[1] = article_document("https://www.163.com/dy/article/Q.html", OTHER, T0)
    docs[-1] = article_document("https://mirror.example/q.html", trimmed(OTHER, 0.2), T0 + timedelta(hours=3))
    lookups = Lookups()
    with pymongo.MongoClient(mongo_uri, tz_aware=True, event_listeners=[lookups]) as client:
        watched = client[collection.database.name][collection.name]
        tallies = Tallies(watched.database["daily"], watched.database["sources"])
        done = ingest(watched, tallies, docs, BUILT_IN.outlets)

    chunks = -(-len(docs) // LOOKUP_CHUNK)
    assert len(lookups.keys) == chunks + 3  # one lookup per chunk, then one per join
    assert lookups.keys[chunks:] == [LOOKUP_KEYS] * 3 and max(lookups.keys[:chunks]) > LOOKUP_KEYS
    assert done.copies == {"https://mirror.example/p.html", "https://mirror.example/q.html"}
    assert done.originals == len(docs) - 2
    groups = group(collection)
    assert groups["https://mirror.example/p.html"][1] == original
    assert groups["https://mirror.example/q.html"][1] == "https://www.163.com/dy/article/Q.html"
    lone = [d["url"] for d in docs if d["url"].startswith("https://lone.example/")]
    assert len({groups[url][0] for url in lone}) == len(lone) and {groups[url][1] for url in lone} == {None}
