"""The real page sets of ../shared/bench-data, read the same way by the evaluation gate
(tests/test_eval_gate.py) and by bench/extract.py: pages, the URL each is extracted under, truths,
and token-level scoring.

A set's truth comes in one of four forms (each set's MANIFEST.md says which): a text file
(cwce_zh, newspaper4k_zh), a JSON `articleBody` (scrapinghub_aeb_en), GNE's stored output with
`content` (gne_zh, where most pages have no truth), or must / must-not snippets (trafilatura_zh).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data"
TOKEN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")
NETEASE_DOCID = re.compile(rb"163\.com/(?:[\w/]+/)?([0-9A-Z]{16})\.html")
# What a link farm, a comment box or a sign-off leaves when it survives in a body (gne_zh MANIFEST)
FARM_MARKERS = (
    "热点推荐",
    "相关推荐",
    "相关阅读",
    "责任编辑",
    "推荐阅读",
    "猜你喜欢",
    "网友评论",
    "热门跟贴",
    "小编最近文章",
)


@dataclass(frozen=True)
class Page:
    """One stored page of a set; `truth` is None where the set has none for it."""

    name: str
    html: bytes
    url: str
    truth: str | None = None
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()


def tokens(text: str) -> Counter[str]:
    """One Han character or one Latin word (lower-cased) a token, as the sets' own scorers count."""
    return Counter(t.lower() for t in TOKEN.findall(text or ""))


def prf(found: str, truth: str) -> tuple[float, float, float]:
    """Bag-of-tokens precision, recall and F1 of a body against its truth."""
    got, want = tokens(found), tokens(truth)
    common = sum((got & want).values())
    p = common / sum(got.values()) if got else 0.0
    r = common / sum(want.values()) if want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def page_url(entry: dict, html: bytes) -> str:
    """The URL a page is extracted under: the set's own, or for a 163.com page of gne_zh (which
    gives none) the NetEase article URL of the docid the page names, so the netease source reads it."""
    if entry.get("url"):
        return str(entry["url"])
    stem = Path(entry["html"]).stem
    if entry.get("site") == "163" and (docid := NETEASE_DOCID.search(html)):
        return f"https://www.163.com/dy/article/{docid.group(1).decode()}.html"
    return f"http://bench.invalid/{stem}.html"


def load_set(folder: Path) -> list[Page]:
    """Every page of a bench-data folder with its truth, in index order."""
    pages = []
    for entry in json.loads((folder / "index.json").read_text(encoding="utf-8")):
        html = (folder / entry["html"]).read_bytes()
        name, url = Path(entry["html"]).stem, page_url(entry, html)
        if not entry.get("truth"):
            pages.append(Page(name, html, url))
            continue
        raw = (folder / entry["truth"]).read_text(encoding="utf-8")
        if not entry["truth"].endswith(".json"):
            pages.append(Page(name, html, url, truth=raw))
            continue
        data = json.loads(raw)
        if "with" in data:
            pages.append(Page(name, html, url, must=tuple(data["with"]), must_not=tuple(data["without"])))
        else:
            pages.append(Page(name, html, url, truth=data.get("articleBody") or data.get("content") or ""))
    return pages


def markers_left(body: str) -> list[str]:
    return [marker for marker in FARM_MARKERS if marker in body]
