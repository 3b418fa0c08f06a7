"""Near-duplicate detection quality: this project next to simhash defaults and MinHash LSH.

    python bench/dedup_eval.py ../shared/bench-data

Builds stories from the real article texts under DIR (cwce_zh, newspaper4k_zh, fundus_cn truths;
long texts are cut into story-sized parts) plus the project's own fixture stories (five stories on
one topic: same-topic negatives). Each story gets mirrors of every kind below; every text passes
the project's text cleaning first, as bodies do in a crawl. Then, over all pairs of texts:
pairwise precision and recall, overall and per mirror kind (pairs of the original with that kind).

Kinds: template (other paragraphing, site furniture), traditional (OpenCC s2t or s2twp), trimmed
(20-30 % cut from the end), dropped_paragraph, replaced_sentence, attribution_tail ("来源：X" and
a tail of other stories' headlines), all_at_once, and same_tail (the story under one shared site
template and headline tail: pairs of different stories in it are the hard negatives).

Then the originals: each story group as found is given what a crawl would store for its copies
(ORIGINALS below: outlet, time and its precision, credit line), in a random crawl order, and the
share of groups whose chosen original is the story's real original is printed per mirror kind
(groups of the original with that kind of copy) and for the whole group: by the project's
`choose_original`, and by the rule before it (earliest to the minute, then first stored).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

from datasketch import MinHash, MinHashLSH
from simhash import Simhash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.clean.text import Line, clean_lines  # noqa: E402
from crawler.dedup.fingerprint import fingerprint, hamming  # noqa: E402
from crawler.dedup.index import lookup_keys  # noqa: E402
from crawler.dedup.normalise import normalise  # noqa: E402
from crawler.dedup.original import choose_original  # noqa: E402
from crawler.dedup.similarity import similarity  # noqa: E402
from crawler.extract.lang import converter  # noqa: E402
from crawler.sources import BUILT_IN  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "expected"
MIN_STORY, PART = 400, 1500  # characters: shorter texts are skipped, longer ones cut in parts
KINDS = (
    "template",
    "traditional",
    "trimmed",
    "dropped_paragraph",
    "replaced_sentence",
    "attribution_tail",
    "all_at_once",
    "same_tail",
    "self_media",
)
SENTENCE = re.compile(r"(?<=[。！？!?])")
CLAUSE = re.compile(r"(?<=[。！？!?，,；;\n])")
OUTLETS = ("中时", "新华社", "澎湃新闻", "环球网", "央视新闻", "界面新闻")


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r", "").split("\n") if p.strip()]


def load_stories(root: Path) -> list[str]:
    texts = []
    for name in ("cwce_zh", "newspaper4k_zh"):
        folder = root / name
        if (folder / "index.json").exists():
            texts += [
                (folder / e["truth"]).read_text(encoding="utf-8")
                for e in json.loads((folder / "index.json").read_text())
            ]
    people = root / "fundus_cn" / "truth" / "cn_People.json"
    if people.exists():
        body = json.loads(people.read_text())["V1"]["body"]
        texts.append(
            "\n".join([*body.get("summary", []), *(p for s in body["sections"] for p in s["paragraphs"])])
        )
    texts += [
        json.loads(f.read_text())["body"]
        for f in sorted(FIXTURES.glob("*.json"))
        if not f.name.startswith("flat_") and "gbk" not in f.name
    ]
    stories = []
    for text in texts:
        part: list[str] = []
        for p in paragraphs(text):
            part.append(p)
            if sum(map(len, part)) >= PART:
                stories.append("\n".join(part))
                part = []
        if sum(map(len, part)) >= MIN_STORY:
            stories.append("\n".join(part))
    return [s for s in dict.fromkeys(stories) if len(s) >= MIN_STORY]


def trimmed(text: str, rng: random.Random) -> str:
    keep = int(len(text) * (1 - rng.uniform(0.2, 0.3)))
    cut = max(text.rfind("。", 0, keep), text.rfind("\n", 0, keep))
    return text[: cut + 1 if cut > 0 else keep]


def dropped(text: str, rng: random.Random) -> str:
    ps = paragraphs(text)
    if len(ps) < 3:
        sentences = [s for s in SENTENCE.split(text) if s]
        del sentences[rng.randrange(1, max(2, len(sentences) - 1))]
        return "".join(sentences)
    del ps[rng.randrange(1, len(ps) - 1)]
    return "\n".join(ps)


def replaced(text: str, other: str, rng: random.Random) -> str:
    """One sentence (or, in text with few sentences, one clause) swapped for another story's."""
    pieces = [s for s in SENTENCE.split(text) if s]
    if len(pieces) < 5:
        pieces = [s for s in CLAUSE.split(text) if s]
    small = [i for i, p in enumerate(pieces) if len(p) <= len(text) / 5] or [
        min(range(len(pieces)), key=lambda i: len(pieces[i]))
    ]
    donor = [s for s in SENTENCE.split(other) if 10 < len(s) <= 80] or [other[:40]]
    pieces[rng.choice(small)] = rng.choice(donor).strip()
    return "".join(pieces)


def headlines(stories: list[str], rng: random.Random, n: int = 5) -> list[str]:
    return [rng.choice(stories)[:28].split("\n")[0] for _ in range(n)]


def template(text: str) -> str:
    ps = paragraphs(text)
    merged = ["".join(ps[i : i + 2]) for i in range(0, len(ps), 2)]
    return "\n".join(["首页 > 新闻 > 正文", "0", "分享至", *merged, "责任编辑：王五"])


def variants(i: int, stories: list[str], shared_tail: list[str]) -> dict[str, str]:
    rng = random.Random(i)
    story, other = stories[i], stories[(i + 7) % len(stories)]
    to_trad = converter("s2twp" if i % 2 else "s2t").convert
    tail = ["来源：" + rng.choice(OUTLETS), *headlines(stories, rng)]
    return {
        "original": story,
        "template": template(story),
        "traditional": to_trad(story),
        "trimmed": trimmed(story, rng),
        "dropped_paragraph": dropped(story, rng),
        "replaced_sentence": replaced(story, other, rng),
        "attribution_tail": "\n".join([story, *tail]),
        "all_at_once": to_trad("\n".join([replaced(dropped(trimmed(story, rng), rng), other, rng), *tail])),
        "same_tail": "\n".join(["首页 > 新闻 > 正文", story, "来源：天天新闻网", *shared_tail]),
        "self_media": "\n".join([story, "本文来源：金融圈内参"]),
    }


# What each kind of copy stores, as (source, site, minutes after the original ran (a range), precision,
# credit line): the original is a NetEase money-channel story to the minute, crediting its own outlet
# (网易财经); re-posting sites show the day only, or their own later minute, and credit NetEase;
# portals that re-run it show a later minute; a NetEase self-media (dy) account re-posts it within
# the same minute, crediting itself.
ORIGINALS = {
    "original": ("netease", "money.163.com", (0, 0), "minute", "网易财经"),
    "template": ("generic", "news.portal.example", (3, 240), "minute", None),
    "traditional": ("daydaynews", "daydaynews.cc", (0, 0), "day", None),
    "trimmed": ("generic", "m.portal.example", (10, 600), "minute", None),
    "dropped_paragraph": ("generic", "edit.example", (30, 900), "minute", None),
    "replaced_sentence": ("generic", "edit.example", (0, 0), "day", None),
    "attribution_tail": ("bannedbook", "www.bannedbook.org", (-600, 600), "minute", "网易"),
    "all_at_once": ("daydaynews", "daydaynews.cc", (0, 0), "day", "网易"),
    "same_tail": ("generic", "news.tiantian.example", (60, 1440), "minute", None),
    "self_media": ("netease", "www.163.com", (0, 0), "minute", "金融圈内参"),
}
RAN = datetime(2024, 6, 26, 5, 3, tzinfo=timezone(timedelta(hours=8)))  # each original's time, to the minute


def stored_copy(index: int, kind: str, rng: random.Random) -> dict:
    source, site, (low, high), precision, origin = ORIGINALS[kind]
    published = RAN + timedelta(minutes=rng.randint(low, high))
    if precision == "day":
        published = published.replace(hour=0, minute=0)
    return {
        "url": f"https://{site}/{index}/{kind}.html",
        "source": source,
        "site": site,
        "published_at": published,
        "published_precision": precision,
        "timezone": "Asia/Shanghai",
        "origin": origin,
        "first_seen": RAN + timedelta(hours=2, seconds=rng.randrange(3600)),
    }  # crawled in any order


def before(members: list[dict]) -> dict:
    """The rule before choose_original: earliest published to the minute, then first stored."""
    return min(members, key=lambda m: (m["published_at"].replace(second=0), m["first_seen"], m["url"]))


def originals(found: set[tuple[int, int]], labels: list[tuple[int, str]]) -> None:
    parent = list(range(len(labels)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in found:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(labels)):
        groups[root(i)].append(i)
    rng = random.Random(1)
    rows: dict[str, dict[str, list[bool]]] = {
        "this project": defaultdict(list),
        "the rule before": defaultdict(list),
    }
    for members in groups.values():
        with_original = [i for i in members if labels[i][1] == "original"]
        if len(members) < 2 or len(with_original) != 1:
            continue
        copies = {i: stored_copy(labels[i][0], labels[i][1], rng) for i in members}
        truth = copies[with_original[0]]["url"]
        for name, chosen in (
            ("this project", choose_original(list(copies.values()), BUILT_IN.outlets).original),
            ("the rule before", before(list(copies.values()))),
        ):
            right = chosen["url"] == truth
            rows[name]["whole group"].append(right)
            for i in members:
                if labels[i][1] != "original":
                    pair = [copies[with_original[0]], copies[i]]
                    pick = (
                        choose_original(pair, BUILT_IN.outlets).original
                        if name == "this project"
                        else before(pair)
                    )
                    rows[name][labels[i][1]].append(pick["url"] == truth)
    print(
        f"\noriginal chosen right, share of groups{'':<6}" + "".join(f"{k[:8]:>9}" for k in (*KINDS, "group"))
    )
    for name, shares in rows.items():
        cells = [shares[k] for k in (*KINDS, "whole group")]
        print(
            f"{name:<45}"
            + "".join(f"{sum(c) / len(c):>9.3f}" if c else f"{'-':>9}" for c in cells)
            + f"   ({len(shares['whole group'])} groups)"
        )


def cleaned(text: str) -> str:
    return "\n".join(clean_lines([Line(x) for x in paragraphs(text)]).lines)


def ours(texts: list[str]) -> set[tuple[int, int]]:
    fps = [fingerprint(t) for t in texts]
    index: dict[object, list[int]] = defaultdict(list)
    found = set()
    for j, fp in enumerate(fps):
        candidates = {
            i for k in (*lookup_keys(fp), fp.body_key) for i in index[k]
        }  # as the store's lookup asks
        found |= {(i, j) for i in candidates if similarity(fps[i], fp) is not None}
        for k in (*fp.keys, fp.body_key):
            index[k].append(j)
    return found


def default_simhash(text: str) -> int:
    """simhash.Simhash(text) with its default features; weights capped at 255, since simhash
    2.1.2 with numpy 2 overflows above that on long texts."""
    counts: dict[str, int] = defaultdict(int)
    for feature in Simhash("")._tokenize(text):
        counts[feature] += 1
    return Simhash({f: min(w, 255) for f, w in counts.items()}).value


def simhash_default(texts: list[str], k: int) -> set[tuple[int, int]]:
    values = [default_simhash(t) for t in texts]
    return {(i, j) for i, j in combinations(range(len(texts)), 2) if hamming(values[i], values[j]) <= k}


def minhash_lsh(texts: list[str], normalised: bool = False) -> set[tuple[int, int]]:
    """datasketch MinHash LSH, 128 permutations, character 5-gram shingles, threshold 0.5; on the
    text as it is, or on the project's normalisation (Simplified, no punctuation) for fairness."""
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    found = set()
    for j, text in enumerate(texts):
        flat = normalise(text) if normalised else re.sub(r"\s+", "", text)
        m = MinHash(num_perm=128)
        m.update_batch([flat[x : x + 5].encode() for x in range(max(len(flat) - 4, 1))])
        found |= {(i, j) for i in lsh.query(m)}
        lsh.insert(j, m)
    return found


def report(name: str, found: set[tuple[int, int]], labels: list[tuple[int, str]], seconds: float) -> None:
    positives = {(i, j) for i, j in combinations(range(len(labels)), 2) if labels[i][0] == labels[j][0]}
    tp = len(found & positives)
    precision = tp / len(found) if found else 1.0
    row = f"{name:<22}{precision:>9.4f}{tp / len(positives):>8.4f}{len(found - positives):>7d}"
    for kind in KINDS:
        pairs = {(i, j) for i, j in positives if {labels[i][1], labels[j][1]} == {"original", kind}}
        row += f"{len(found & pairs) / len(pairs):>9.3f}"
    print(row + f"{seconds:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path, help="the bench-data folder")
    args = parser.parse_args()
    stories = load_stories(args.root)
    shared_tail = headlines(stories, random.Random(0), 6)
    texts, labels = [], []
    for i in range(len(stories)):
        for kind, text in variants(i, stories, shared_tail).items():
            texts.append(cleaned(text))
            labels.append((i, kind))
    n = len(texts)
    print(f"{len(stories)} stories, {n} texts, {n * (n - 1) // 2} pairs")
    head = f"{'method':<22}{'precision':>9}{'recall':>8}{'false':>7}" + "".join(f"{k[:8]:>9}" for k in KINDS)
    print(head + f"{'sec':>8}")
    start = time.perf_counter()
    grouped = ours(texts)
    report("this project", grouped, labels, time.perf_counter() - start)
    start = time.perf_counter()
    report("minhash lsh 0.5", minhash_lsh(texts), labels, time.perf_counter() - start)
    start = time.perf_counter()
    report("minhash lsh 0.5 norm.", minhash_lsh(texts, normalised=True), labels, time.perf_counter() - start)
    for k in (3, 6, 10):
        start = time.perf_counter()
        report(f"simhash default k={k}", simhash_default(texts, k), labels, time.perf_counter() - start)
    originals(grouped, labels)


if __name__ == "__main__":
    main()
