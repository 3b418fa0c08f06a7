"""The URL shape a site's article pages share, learned from the links its listing pages, feeds and
sitemaps hold: each path segment told by what it is (a year, a date, a numeric or hex id, a slug,
a fixed word), and a query parameter holding an id (`story?sid=79532`), URLs of one shape
grouped, and the shapes that carry an id or a date taken for articles; channel words that vary in
one place become an alternation. Where one shape holds a
segment unique to each article, it is the article's id, and the URL it is stored under is made of
it (one article, one document, whichever host or parameters it was linked with)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

MIN_ARTICLES = 3  # URLs a shape needs to be taken for articles
MAX_WORDS = 8  # distinct words in one place of a shape kept as an alternation (each on 2 URLs or more)
SUFFIX = re.compile(r"^(?P<stem>.*?)(?P<ext>\.(?:s?html?|php|aspx?|jsp))$", re.IGNORECASE)

# what a segment (or a file name's stem) can be, most specific first: (kind, regex it is told by,
# regex it is matched with in the pattern); an "id" kind makes a shape an article's
KINDS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("date", re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}"), r"\d{4}-\d{2}-\d{2}"),
    ("date", re.compile(r"(?:19|20)\d{6}"), r"\d{8}"),
    ("year", re.compile(r"(?:19|20)\d{2}"), r"\d{4}"),
    ("id", re.compile(r"\d{5,}"), r"\d+"),
    ("number", re.compile(r"\d{1,4}"), r"\d+"),
    ("id", re.compile(r"(?=[0-9a-f]*\d)[0-9a-f]{8,}"), r"[0-9a-f]+"),
    ("id", re.compile(r"(?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{10,}"), r"[0-9A-Za-z]+"),
    ("slug", re.compile(r"[^/]*-[^/]*-[^/]*-[^/]*"), r"[^/?#]+"),
)
# an id behind a fixed word: doc-iicezzrq3965826, article_48213
PREFIXED_ID = re.compile(r"(?P<prefix>[A-Za-z]+[-_])(?P<id>(?=[0-9A-Za-z]*\d)[0-9A-Za-z]{6,})")
ARTICLE_KINDS = frozenset({"id", "date", "slug"})
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a query parameter's name that may name an article


@dataclass(frozen=True)
class Part:
    """One place of a URL path: a fixed word (`kind` "word") or a kind of value."""

    kind: str
    text: str  # the word, or the regex a value of the kind is matched with

    def regex(self) -> str:
        if self.kind == "query":  # the parameter, wherever it stands among the others
            return r"\?(?:[^#]*&)?" + re.escape(self.text[1:])
        return re.escape(self.text) if self.kind == "word" else self.text


@dataclass(frozen=True)
class ArticleUrls:
    """What the links say of a site's article URLs."""

    domain: str
    regexes: tuple[str, ...]  # each article shape's, for the path after the host
    shapes: tuple[str, ...]  # each article shape, readable (`/news/{id}.html`)
    matched: int  # discovered URLs the pattern matches
    seen: int  # discovered URLs of the site
    article_id: str = ""  # a regex with an `id` group, or "" where no shape has one
    canonical_url: str = ""  # the URL an article is stored under, `{id}` in it
    left_out: tuple[str, ...] = ()  # shapes the sample showed are not articles, and why

    @property
    def pattern(self) -> str:
        """Searched in an absolute URL, as SourceSpec.article_pattern."""
        return rf"^https?://(?:[a-z0-9-]+\.)*{re.escape(self.domain)}/(?:{'|'.join(self.regexes)})(?:[?#&]|$)"

    def narrowed(self, links: list[str], articles: list[str], not_articles: list[str]) -> ArticleUrls:
        """Without the shapes whose sampled pages were fetched and gave no article, MIN_ARTICLES
        of them or more, and none gave one (a site's video or gallery pages have ids too): a crawl
        would fetch them every run for nothing, and count each as an error."""
        keep, left_out = [], []
        for i, regex in enumerate(self.regexes):
            shape = re.compile(rf"^https?://[^/]+/(?:{regex})(?:[?#&]|$)")
            empty = sum(1 for url in not_articles if shape.search(url))
            if empty >= MIN_ARTICLES and not any(shape.search(url) for url in articles):
                left_out.append(f"{self.shapes[i]}: its {empty} sampled pages gave no article")
            else:
                keep.append(i)
        if len(keep) == len(self.regexes):
            return self
        narrowed = replace(
            self,
            regexes=tuple(self.regexes[i] for i in keep),
            shapes=tuple(self.shapes[i] for i in keep),
            left_out=(*self.left_out, *left_out),
        )
        compiled = re.compile(narrowed.pattern)
        return replace(narrowed, matched=sum(1 for url in dict.fromkeys(links) if compiled.search(url)))


def parts_of(url: str) -> tuple[Part, ...]:
    """A URL's places, each told by what it is: its path's segments (a file name's stem and its
    type apart), then the first query parameter whose value is an id or a number, as two places
    (`?sid=`, the value)."""
    parts: list[Part] = []
    for value in _values(url):
        if value.startswith("?"):
            parts.append(Part("query", value))
        elif value.startswith("."):  # a file type
            parts.append(Part("word", value))
        else:
            parts.append(_part(value))
    return tuple(parts)


def _values(url: str) -> list[str]:
    """A URL's places as written: path segments, a file name's stem and type apart, and the first
    query parameter with an id or number value as `?name=` and its value."""
    split = urlsplit(url)
    values: list[str] = []
    for segment in split.path.strip("/").split("/"):
        if not segment:
            continue
        suffix = SUFFIX.match(segment)
        values += [suffix["stem"], suffix["ext"].lower()] if suffix else [segment]
    for name, value in parse_qsl(split.query):
        if _PARAM.fullmatch(name) and _part(value).kind in ("id", "number"):
            return [*values, f"?{name}=", value]
    return values


def _part(text: str) -> Part:
    for kind, told_by, matched_with in KINDS:
        if told_by.fullmatch(text):
            return Part(kind, matched_with)
    if prefixed := PREFIXED_ID.fullmatch(text):
        return Part("id", re.escape(prefixed["prefix"]) + "[0-9A-Za-z]+")
    return Part("word", text)


def learn_article_urls(urls: Iterable[str], domain: str) -> ArticleUrls | None:
    """The article URLs among a site's discovered links (those of `domain` and its subdomains), or
    None when no shape holds an id or a date on enough of them."""
    own = [u for u in dict.fromkeys(urls) if _owned(u, domain)]
    shapes: dict[tuple[str, ...], list[tuple[Part, ...]]] = defaultdict(list)
    found: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for url in own:
        parts = parts_of(url)
        # a shape: the kind of each place; a file type and a query parameter as written (words may
        # vary: channels)
        key = tuple(p.text if p.kind == "query" or p.text.startswith(".") else p.kind for p in parts)
        shapes[key].append(parts)
        found[key].append(url)
    chosen = []
    for key, members in shapes.items():
        if len(members) < MIN_ARTICLES or not _article_shape(set(key)):
            continue
        chosen.append((len(members), _merged(members), found[key]))
    if not chosen:
        return None
    chosen.sort(key=lambda entry: -entry[0])
    article_id, canonical = _identity(chosen[0][1], chosen[0][2], domain) if len(chosen) == 1 else ("", "")
    found_urls = ArticleUrls(
        domain,
        regexes=tuple(_joined([(p, p.regex()) for p in merged]) for _, merged, _ in chosen),
        shapes=tuple("/" + _joined([(p, _shown(p)) for p in merged]) for _, merged, _ in chosen),
        matched=0,
        seen=len(own),
        article_id=article_id,
        canonical_url=canonical,
    )
    compiled = re.compile(found_urls.pattern)
    return replace(found_urls, matched=sum(1 for url in own if compiled.search(url)))


def _joined(places: list[tuple[Part, str]]) -> str:
    """Places written as `piece`s: path segments joined by `/`; a file type, a query parameter and
    its value follow the place before them."""
    out = ""
    for i, (part, piece) in enumerate(places):
        after_query = i > 0 and places[i - 1][0].kind == "query"
        follows = part.kind == "query" or part.text.startswith(".") or after_query
        out += piece if follows or not out else "/" + piece
    return out


def _article_shape(kinds: set[str]) -> bool:
    """An id, a date or a slug; or a year and a number (`/2019/1001.html`): a page number alone
    (`/news/2`) is a listing's."""
    return bool(ARTICLE_KINDS & kinds) or {"year", "number"} <= kinds


def _owned(url: str, domain: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == domain or host.endswith("." + domain)


def _merged(members: list[tuple[Part, ...]]) -> tuple[Part, ...]:
    """One shape's places: a word the same on every URL stays; words that vary become an
    alternation (a few) or any word."""
    merged = []
    for place in zip(*members, strict=True):
        first = place[0]
        if first.kind == "query":
            merged.append(first)
            continue
        if first.kind != "word":
            same = all(p.text == first.text for p in place)  # an id behind one word, or behind several
            merged.append(first if same else Part(first.kind, r"[A-Za-z]+[-_][0-9A-Za-z]+"))
            continue
        words = sorted(set(p.text for p in place))
        if len(words) == 1:
            merged.append(first)
        elif len(words) <= MAX_WORDS and len(words) < len(place) / 2:  # channels: words that recur
            merged.append(Part("alternation", f"(?:{'|'.join(re.escape(w) for w in words)})"))
        else:
            merged.append(Part("alternation", r"[^/?#]+"))
    return tuple(merged)


def _shown(part: Part) -> str:
    """A place as people read it: a word as written, a value by its kind (`{id}`, `{news|tech}`)."""
    if part.kind in ("word", "query"):
        return part.text
    if part.kind == "alternation":
        return "{" + (part.text[3:-1].replace("\\", "") if part.text.startswith("(?:") else "word") + "}"
    return "{" + part.kind + "}"


def _identity(parts: tuple[Part, ...], urls: list[str], domain: str) -> tuple[str, str]:
    """The article id of a shape (its last id place, when every URL has a value of its own there),
    and the URL an article is stored under: the shape with its values, on the host and scheme the
    links use most."""
    ids = [i for i, p in enumerate(parts) if p.kind == "id"]
    if not ids or len({_values(u)[ids[-1]] for u in urls}) != len(urls):
        return "", ""
    host = Counter(urlsplit(u).hostname for u in urls).most_common(1)[0][0]
    scheme = Counter(urlsplit(u).scheme for u in urls).most_common(1)[0][0]
    regex, template = [], []
    for i, part in enumerate(parts):
        if part.kind in ("word", "query"):
            fixed = (
                r"\?(?:[^#]*&)?" + re.escape(part.text[1:]) if part.kind == "query" else re.escape(part.text)
            )
            regex.append((part, fixed))
            template.append((part, part.text))
            continue
        group = "id" if i == ids[-1] else f"p{i}"
        regex.append((part, f"(?P<{group}>{part.text})"))
        template.append((part, "{" + group + "}"))
    article_id = rf"^https?://(?:[a-z0-9-]+\.)*{re.escape(domain)}/{_joined(regex)}(?:[?#&]|$)"
    return article_id, f"{scheme}://{host}/" + _joined(template)
