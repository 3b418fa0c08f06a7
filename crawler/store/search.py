"""Finding articles by URL or by words of their title, through an index: the dashboard's search.

A title's search terms are its words in Latin script (lower case) and the overlapping pairs of
its Chinese characters (中文分词 without a dictionary, as CJK search engines index), after
Traditional is made Simplified, so `華為` finds `华为`. They are stored with the article
(`title_terms`, a multikey index); a search looks up the rarest of the query's terms in the index
and checks the others on what that gives, so no search scans the collection. A query of common
words only (each in more than SCAN titles) reads SCAN of them and says it did not read them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from crawler.dedup.normalise import simplified

_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
MAX_TERMS = 12  # of a query: more say nothing the first ones did not
PROBE = 200  # index entries counted per query term to find the rarest
SCAN = 2000  # candidates of the rarest term read at most: a search of common words only looks no further
SEARCH_INDEXES = [IndexModel([("title_terms", ASCENDING)], name="title_terms")]


def title_terms(title: str) -> list[str]:
    text = simplified(title).lower()
    terms = set(_WORD.findall(text))
    for run in _HAN.findall(text):
        terms.update([run] if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
    return sorted(terms)


def searchable(query: str) -> bool:
    """A URL, or two characters at least that make a title term: one character would match
    titles by the thousand, and none of them for what was meant."""
    query = query.strip()
    if query.startswith(("http://", "https://")):
        return True
    return len("".join(query.split())) >= 2 and bool(title_terms(query))


@dataclass
class Found:
    articles: list[dict[str, Any]]
    complete: bool  # False: the query's rarest term has more than SCAN articles, not all were read


def search(collection: Collection, query: str, limit: int, projection: dict[str, int]) -> Found:
    """Articles whose URL starts with `query` (a URL), or whose title holds all its terms;
    newest first."""
    query = query.strip()
    if query.startswith(("http://", "https://")):
        return Found(
            list(
                collection.find(
                    {"url": {"$gte": query, "$lt": query + "\U0010ffff"}},
                    projection,
                    sort=[("url", ASCENDING)],
                    limit=limit,
                )
            ),
            True,
        )
    terms = title_terms(query)[:MAX_TERMS]
    if not terms:
        return Found([], True)
    rarest = (
        terms[0]
        if len(terms) == 1
        else min(terms, key=lambda term: collection.count_documents({"title_terms": term}, limit=PROBE))
    )
    wanted = set(terms)
    read = {**projection, "title_terms": 1, "published_at": 1, "first_seen": 1}
    candidates = list(collection.find({"title_terms": rarest}, read, limit=SCAN))
    hits = [doc for doc in candidates if wanted <= set(doc.get("title_terms") or ())]
    hits.sort(key=lambda doc: doc.get("published_at") or doc["first_seen"], reverse=True)
    return Found(hits[:limit], len(candidates) < SCAN)
