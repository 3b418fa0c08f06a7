"""Extraction: from one page's HTML to an Article whose body is still the raw body container.

A source declares its templates as layouts (selectors, and the marker that says a page is of that
template); the first layout whose marker the page has is used. Its body block is believed only
while the evidence holds: a block that matched nothing, holds no text, or holds a small share of
the page's main text (a placeholder, a sign-off) falls back to the generic path, and the article
says so (`extracted_by`, `extracted_why`). The generic path is trafilatura on our own tree, checked
in turn against the page's densest text block. What the selectors do not give comes from the
page's own metadata (JSON-LD, <meta>), then from visible text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml.etree import _Element

from crawler.default_settings import CLEAN_MIN_BODY_CHARS
from crawler.extract.authors import person_author
from crawler.extract.dates import FoundTime, find_datetime, implausible, relative_time, url_date, zone
from crawler.extract.density import ZERO, Counts, MainText, contains, density, prose_chars, visible_chars
from crawler.extract.html import collapse, css, parse_html, select_first, text_of, texts_after, texts_within
from crawler.extract.meta import (
    AUTHOR_META,
    SITE_NAME_META,
    TIME_META,
    TITLE_META,
    json_ld_articles,
    json_ld_author,
    meta_content,
)
from crawler.extract.pages import neighbours
from crawler.extract.posts import opening, posts_like
from crawler.extract.removal import DELETED_NOTICES, deleted_notice
from crawler.extract.state import StateArticle, has_state, state_article
from crawler.failures import NotHTML
from crawler.items import Article
from crawler.urls import normalise_url, site_of

TITLE_SEPARATORS = re.compile(r"\s*(?:[|_–—]|\s-\s)\s*")
ORIGIN_PREFIX = re.compile(r"^.*?(?:来源|來源|稿源)\s*[:：]\s*")
SWALLOWED_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
TITLE_KEY = re.compile(r"[\s\W_]+")
SPACE = re.compile(r"\s+")
TIME_ATTRIBUTES = ("datetime", "content", "data-time", "title")
AUTHOR_LABEL = re.compile(r"^(?:责任编辑|責任編輯|作者|编辑|編輯|记者|記者|文)\s*[:：|]\s*|_[A-Z]{1,4}\d+$")
DATELINE_CHARS = 600  # a dateline sits within this many characters after the headline (or the top)
DATELINE_MAX_CHARS = 80  # a text this long that holds a date is a dateline; a longer one is prose...
NO_LAYOUT = "no_layout"  # the fallback of a page no layout claims: the one a learned source expects
RELATIVE_WORDS = re.compile(r"刚刚|剛剛|今天|今日|昨天|昨日|前天")  # a dateline of these has no digit
SENTENCE_MARKS = frozenset("。，；！？")  # ...and so is one with the punctuation of a sentence
FALLBACK_MAIN_SHARE = 0.5  # a source's body block with less of the page's main text is not the story
GENERIC_MAIN_SHARE = 0.5  # trafilatura's text below this share of the main text block is a wrong pick
POSTS_PICK_SHARE = 1.0  # a trafilatura pick holding more than the main block may hold several posts
LINK_LIST_SHARE = 0.5  # trafilatura output more than half made of the page's link texts is a link list
LINK_TEXT_MIN_CHARS = 6  # shorter link texts ("更多", "下一页") say nothing about a body
HEADLINE_TAGS = ("h1", "h2", "h3")
LINE_TAGS = (
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "td",
    "blockquote",
    "pre",
)  # the line elements trafilatura writes
TITLE_MIN_CHARS = 4  # a shorter headline candidate is a logo or a label
TITLE_AGREE_RATIO = 0.8  # two titles agree when one holds the other and is at least this long


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one layout, each tried in order; empty means "use the generic rules"."""

    title: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()


GENERIC = Selectors()


@dataclass(frozen=True)
class Layout:
    """One template of a site, as Fundus versions its parsers: a site's old and current templates
    are separate layouts, each with its own fixture page, instead of one tuple of alternatives."""

    name: str
    selectors: Selectors
    marker: str | None = None  # CSS selector only pages of this template match; None: any page


def choose_layout(root: _Element, layouts: tuple[Layout, ...]) -> Layout | None:
    """The first layout whose marker the page has."""
    return next((lay for lay in layouts if lay.marker is None or css(lay.marker)(root)), None)


@dataclass(frozen=True)
class Body:
    """The body container's HTML, which path produced it and why, and the fallback reason (a stats
    key: `no_layout`, `no_match`, `empty`, `weak`) when a source's layout was set aside."""

    html: str
    extracted_by: str
    why: str
    fallback: str | None = None
    container: _Element | None = None


@dataclass(frozen=True)
class Extracted:
    """One page as extraction leaves it: the article's fields, and what the spider and cleaning
    need of the page that is never stored."""

    article: Article
    body_html: str  # the body container, before cleaning
    link_texts: frozenset[str] = frozenset()  # comparison keys of the page's link texts
    fallback: str | None = None  # why the source's layout was set aside (a stats key), or None
    deleted_notice: str | None = None  # the site's "deleted" notice the page shows as its own message
    next_page: str | None = None  # the article's next page (`下一页`, `ID_2.html`)
    earlier_page: str | None = None  # an earlier page of the article (the first, when it can)


def extract_article(
    html: str,
    url: str,
    source: str,
    layouts: tuple[Layout, ...],
    tz: str,
    min_chars: int = CLEAN_MIN_BODY_CHARS,
    notices: tuple[str, ...] = DELETED_NOTICES,
    fetched_at: datetime | None = None,
    outlet_names: tuple[str, ...] = (),
) -> Extracted:
    """The article's fields, and its body container (cleaned later); a time
    stated after `fetched_at` (default now) plus a day is not taken for the publication time;
    `outlet_names` (the source's) are the site's own names, never its author."""
    root = parse_html(html)
    ld = next(json_ld_articles(root), {})
    measured = density(root)
    links = _link_texts(root)
    layout = choose_layout(root, layouts)
    selectors = layout.selectors if layout else GENERIC
    body = _body(Page(root, url, measured.totals, measured.main, links, min_chars), source, layouts, layout)
    state = _state_article(root, body, min_chars)
    naming = _naming(root, outlet_names)
    headline = _title(root, selectors, ld, naming)
    evidence = TimeEvidence(fetched_at or datetime.now(UTC))
    found = _published(root, body.container, selectors, ld, tz, url, headline, evidence)
    raw_author = _author(root, selectors, ld)
    if state is not None:
        body, headline = _state_body(state, body), Headline(state.title) if state.title else headline
        found = found or (evidence.first([t]) if (t := evidence.read(state.time or "", tz)) else None)
        raw_author = raw_author or state.author
    pages = neighbours(root, url)
    article = Article(
        url=normalise_url(url),
        source=source,
        site=site_of(url),
        title=headline.text,
        extracted_by=body.extracted_by,
        extracted_why=body.why,
        published_at=found.value if found else None,
        published_raw=found.raw if found else None,
        published_precision=found.precision if found else None,
        published_ignored="; ".join(evidence.ignored) or None,
        timezone=_tz_name(found.value, tz) if found else None,
        author=person_author(raw_author, naming.site_names),
        author_raw=raw_author,
        origin=_origin(root, selectors),
        images=_images(body.container, url) if body.container is not None else [],
    )
    return Extracted(
        article,
        body_html=body.html,
        link_texts=links,
        fallback=body.fallback,
        deleted_notice=deleted_notice(html, root, notices),
        next_page=pages.next,
        earlier_page=pages.earlier,
    )


@dataclass(frozen=True)
class Page:
    """What the body decision reads of one parsed page, computed once."""

    root: _Element
    url: str
    totals: dict[_Element, Counts]
    main: MainText
    links: frozenset[str]
    min_chars: int


def _body(page: Page, source: str, layouts: tuple[Layout, ...], layout: Layout | None) -> Body:
    """The source layout's body block while it holds the story, else the generic path's."""
    root, main, min_chars = page.root, page.main, page.min_chars
    if not layouts:
        return _generic_body(page, "generic", "no source layout for this site")
    if layout is None:
        return _generic_body(page, NO_LAYOUT, "no layout of the source matches the page")
    name = f"{source}/{layout.name}"
    container = select_first(root, layout.selectors.body)
    if container is None:
        return _generic_body(page, "no_match", f"{name}: its body selector matched nothing")
    chars = page.totals.get(container, ZERO).unlinked
    if chars < min_chars:
        return _generic_body(page, "empty", f"{name}: its body block holds {chars} characters")
    if chars < FALLBACK_MAIN_SHARE * main.chars and not contains(container, main.element):
        generic = _generic_body(
            page,
            "weak",
            f"{name}: its body block holds {chars} of the page's {main.chars} main-text characters",
        )
        if _chars_of(generic.html) > chars:
            return generic
    html = lxml.html.tostring(container, encoding="unicode")
    return Body(html, name, f"{name}: body block {css_path(container)}", container=container)


def _generic_body(page: Page, fallback: str, why: str) -> Body:
    """trafilatura's choice, from our tree (already decoded right and freed of control bytes),
    minus any <title> broken markup left in the body: its text is raw markup, never the story.
    When that choice holds much less than the page's densest text block, or is mostly the texts of
    the page's links and dated headlines (the list beside a gallery, a hot-news list where the story
    is drawn by script), the densest block is the body, or nothing when no block holds text."""
    reason = None if fallback == "generic" else fallback
    main = page.main
    tree = page.root  # trafilatura works on its own copy of the tree it is given
    if tree.xpath("//body//title"):
        tree = deepcopy(tree)
        for misplaced in tree.xpath("//body//title"):
            misplaced.drop_tree()
    # favor_precision: trafilatura then prunes the link-heavy and short-text parts of its pick (a
    # blog's menus, a forum's reply list kept beside a table layout's post); on the real sets it
    # raised mean F1 on cwce_zh 0.919 -> 0.931 and scrapinghub_aeb_en 0.962 -> 0.972, no set lost
    html = (
        trafilatura.extract(
            tree, url=page.url, output_format="html", include_comments=False, fast=True, favor_precision=True
        )
        or ""
    )
    lines, chars = _pick_lines(html)
    if _link_share(lines, page.links) > LINK_LIST_SHARE:
        if main.element is None or main.chars < page.min_chars:
            return Body(
                "",
                "generic",
                f"{why}; trafilatura chose a list of the page's links, and no block holds text",
                reason,
            )
        block = lxml.html.tostring(main.element, encoding="unicode")
        return Body(
            block,
            "generic",
            f"{why}; trafilatura chose a list of the page's links",
            reason,
            container=main.element,
        )
    if main.element is not None and chars < GENERIC_MAIN_SHARE * main.chars:
        block = lxml.html.tostring(main.element, encoding="unicode")
        return Body(
            block,
            "generic",
            f"{why}; trafilatura found {chars} characters, the densest text block {main.chars}",
            reason,
            container=main.element,
        )
    if (
        main.element is not None
        and chars > POSTS_PICK_SHARE * page.totals[main.element].chars
        and (post := _first_of_posts(lines, main.element, page.totals)) is not None
    ):
        block = lxml.html.tostring(post, encoding="unicode")
        return Body(
            block,
            "generic",
            f"{why}; trafilatura kept several posts of the page, the first is {css_path(post)}",
            reason,
            container=post,
        )
    if main.element is not None and (weak := _fewer_sentences(lines, main.element, page)):
        block = lxml.html.tostring(main.element, encoding="unicode")
        return Body(block, "generic", f"{why}; {weak}", reason, container=main.element)
    return Body(html, "generic", f"{why}; trafilatura", reason)


def _first_of_posts(lines: list[str], main: _Element, totals: dict[_Element, Counts]) -> _Element | None:
    """The page's first post when trafilatura's pick (its lines) holds two posts or more (a blog's
    front page, a forum thread), or None."""
    posts = posts_like(main, totals)
    if not posts:
        return None
    text = "".join(SPACE.split("".join(lines)))
    held = sum(opening(post) in text for post in posts)
    return posts[0] if held > 1 else None


def _fewer_sentences(lines: list[str], main: _Element, page: Page) -> str | None:
    """Why trafilatura's pick loses to the densest block: it holds less than half the block's
    sentences (a list of headlines as long as the story beside it), or None."""
    picked = prose_chars("\n".join(lines))
    if picked >= GENERIC_MAIN_SHARE * page.totals[main].chars:
        return None  # the block cannot hold twice that: it is not read
    in_main = prose_chars("".join(texts_within(main)))
    if in_main < page.min_chars or picked >= GENERIC_MAIN_SHARE * in_main:
        return None
    return f"trafilatura's pick holds {picked} characters of sentences, the densest text block {in_main}"


def _state_article(root: _Element, body: Body, min_chars: int) -> StateArticle | None:
    """The article of the page's embedded state (Next.js, Nuxt, a store of its own) when the
    markup's body holds less than a story: a page the browser draws from that state."""
    if not has_state(root) or _chars_of(body.html) >= min_chars:
        return None
    return state_article(root, min_chars)


def _state_body(state: StateArticle, body: Body) -> Body:
    why = f"{body.why}; the markup holds no article, the page's {state.where} does"
    return Body(state.body_html, body.extracted_by, why, body.fallback)


def _pick_lines(html: str) -> tuple[list[str], int]:
    """trafilatura's output read once: its line elements' texts, and its visible characters.
    That output holds no script, style or title, so plain text iteration is its visible text."""
    if not html:
        return [], 0
    try:
        root = parse_html(html)
    except NotHTML:
        return [], 0
    lines = [collapse("".join(e.itertext())) for e in root.iter(*LINE_TAGS)]
    return lines, visible_chars(collapse("".join(root.itertext())))


def _chars_of(html: str) -> int:
    return _pick_lines(html)[1]


def _link_texts(root: _Element) -> frozenset[str]:
    """The texts of the page's links, as comparison keys: a body line equal to one is a link."""
    texts = (title_key(text_of(a)) for a in root.iter("a"))
    return frozenset(t for t in texts if len(t) >= LINK_TEXT_MIN_CHARS)


def _link_share(lines: list[str], links: frozenset[str]) -> float:
    """Share of a body's characters in lines that are (part of) the texts of the page's links, or
    short lines with a date: the headlines of a news list and their "outlet time" lines."""
    total = sum(len(line) for line in lines)
    in_links = link_matcher(links)
    listed = sum(len(line) for line in lines if in_links(title_key(line)) or _dated_headline(line))
    return listed / total if total else 0.0


def _dated_headline(line: str) -> bool:
    return (
        len(line) <= DATELINE_MAX_CHARS
        and any(c.isdigit() for c in line)
        and find_datetime(line, "UTC") is not None
    )


def link_matcher(links: frozenset[str]) -> Callable[[str], bool]:
    """A test of whether a line's key is a link text of the page or part of one ("10图" and a
    headline in one link): one search in the joined texts, not one per link, and none for a key
    longer than every link text (a story paragraph)."""
    joined = "\x00".join(links)
    longest = max(map(len, links), default=0)
    return lambda key: LINK_TEXT_MIN_CHARS <= len(key) <= longest and key in joined


def css_path(element: _Element) -> str:
    """A short name of an element for a reason text: `div#endText`, `div.post_body`."""
    ident, classes = element.get("id"), (element.get("class") or "").split()
    return (
        f"{element.tag}#{ident}" if ident else f"{element.tag}.{classes[0]}" if classes else str(element.tag)
    )


# --- Title --------------------------------------------------------------------------------------


def title_key(text: str) -> str:
    """Comparison key of a title or a line: no spaces or punctuation, lower case."""
    return TITLE_KEY.sub("", text).lower()


@dataclass(frozen=True)
class Headline:
    """The chosen title and the element it came from (a dateline sits after it), if any."""

    text: str
    element: _Element | None = None


@dataclass(frozen=True)
class Naming:
    """The page's <title> without the site's name, and the site's names (comparison keys): the
    other parts of the <title>, og:site_name, and the names the source knows its outlet by."""

    page_title: str
    site_names: frozenset[str]


def _naming(root: _Element, outlet_names: tuple[str, ...]) -> Naming:
    title_element = root.find(".//title")
    parts = (
        [p for p in TITLE_SEPARATORS.split(_document_title(title_element)) if p]
        if title_element is not None
        else []
    )
    page_title = max(parts, key=len) if parts else ""
    names = [*(p for p in parts if p != page_title), meta_content(root, SITE_NAME_META) or "", *outlet_names]
    return Naming(page_title, frozenset(key for name in names if (key := title_key(name))))


def _title(root: _Element, selectors: Selectors, ld: dict, naming: Naming) -> Headline:
    """The candidate most of the page's title evidence agrees on: the layout's title selector,
    og:title, JSON-LD headline, the headline elements, and <title> with the site's name taken off.
    A candidate that is the site's own name (a logo <h1>) never wins, and on equal agreement the one
    <title> names whole wins, then the first: a broken og:title, cut at a quote, loses to both."""
    page_title, site_names = naming.page_title, naming.site_names
    candidates: list[tuple[str, _Element | None]] = []
    element = select_first(root, selectors.title) if selectors.title else None
    if element is not None:
        candidates.append((text_of(element), element))
    candidates.append((collapse(meta_content(root, TITLE_META) or ""), None))
    headline = ld.get("headline")
    candidates.append((collapse(headline) if isinstance(headline, str) else "", None))
    for tag in HEADLINE_TAGS:
        candidates.extend((text_of(h), h) for h in root.iter(tag))
    keys = [title_key(text) for text, _ in candidates]
    page_key = title_key(page_title)
    best: tuple[int, bool, int] | None = None
    chosen = Headline(page_title)
    for index, ((text, found_in), key) in enumerate(zip(candidates, keys, strict=True)):
        if len(key) < TITLE_MIN_CHARS or key in site_names:
            continue
        support = sum(_agree(key, other) for other in {*keys[:index], *keys[index + 1 :], page_key} if other)
        score = (support, key == page_key, -index)
        if best is None or score > best:
            best, chosen = score, Headline(text, found_in)
    if best is not None and best[0] == 0 and element is None and page_title:
        return Headline(page_title)  # nothing agrees: the page's own <title> is the surest
    return chosen


def _agree(a: str, b: str) -> bool:
    shorter, longer = sorted((a, b), key=len)
    return shorter in longer and len(shorter) >= TITLE_AGREE_RATIO * len(longer)


def _document_title(title: _Element) -> str:
    """The <title>'s text. An unclosed <title> takes the rest of the page, markup and all, as its
    text (HTML's rule for it): that text is read as HTML once more, so no markup becomes a title."""
    text = collapse(title.text or "")
    if not SWALLOWED_TAG.search(text):
        return text
    try:
        text = text_of(parse_html(f"<div>{text}</div>"))
    except NotHTML:
        return ""
    return collapse(SWALLOWED_TAG.sub(" ", text))  # a second <title> in it swallowed markup again


# --- Publication time ---------------------------------------------------------------------------


def _published(
    root: _Element,
    container: _Element | None,
    selectors: Selectors,
    ld: dict,
    tz: str,
    url: str,
    headline: Headline,
    evidence: TimeEvidence,
) -> FoundTime | None:
    """Every time the page states outside its story (selectors, meta, JSON-LD, <time>, the dateline
    by the headline, the URL), the most trusted of them naming the day, and among those that agree
    on that day the most precise: a day-only byline never turns a minute-precise meta into
    midnight. A date inside the story text counts only when the page states none elsewhere. Times
    no article can have (`implausible`) are no evidence: `evidence` notes them and why."""
    stated = [t for text in _time_texts(root, selectors, ld, headline) if (t := evidence.read(text, tz))]
    found = evidence.keep(stated)
    in_url = evidence.first([t] if (t := url_date(url, tz)) else [])
    if found:
        day = _day(found[0], tz)
        agreeing = [t for t in (*found, *([in_url] if in_url else [])) if _day(t, tz) == day]
        return max(agreeing, key=lambda t: t.rank)  # max keeps the first, most trusted, of equals
    if in_url:
        return in_url
    if container is None:
        return None
    return evidence.first(t for text in _datelines(texts_within(container)) if (t := evidence.read(text, tz)))


@dataclass
class TimeEvidence:
    """The times a page states that can be its publication time, and why the others cannot."""

    fetched_at: datetime
    ignored: list[str] = field(default_factory=list)

    def read(self, text: str, tz: str) -> FoundTime | None:
        """The time a text states: a date, or a time stated against the fetch ("3小时前")."""
        return find_datetime(text, tz) or relative_time(text, self.fetched_at, tz)

    def keep(self, found: Iterable[FoundTime]) -> list[FoundTime]:
        return [time for time in found if self._plausible(time)]

    def first(self, found: Iterable[FoundTime]) -> FoundTime | None:
        """The first plausible one, reading no further than it."""
        return next((time for time in found if self._plausible(time)), None)

    def _plausible(self, time: FoundTime) -> bool:
        why = implausible(time, self.fetched_at)
        if why:
            self.ignored.append(f"{time.raw} ({why})")
        return why is None


def _day(found: FoundTime, tz: str) -> object:
    return found.value.astimezone(zone(tz)).date()


def _time_texts(root: _Element, selectors: Selectors, ld: dict, headline: Headline) -> Iterator[str]:
    """Where a publication time may be written outside the story, most trustworthy first; lazily."""
    for selector in selectors.time:
        for element in css(selector)(root):
            yield from (element.get(a) or "" for a in TIME_ATTRIBUTES)
            yield text_of(element)
    yield meta_content(root, TIME_META) or ""
    published = ld.get("datePublished")
    yield published if isinstance(published, str) else ""
    yield from (t.get("datetime") or "" for t in root.iter("time"))
    yield from _datelines(_top_texts(root, headline.element))


DATELINE_NODES = 200  # text nodes looked at for a dateline: enough for any byline, bounded on any page


def _top_texts(root: _Element, headline: _Element | None) -> Iterable[str]:
    """The text nodes after the headline, or from the page's top when there is none."""
    body = root.find("body")
    return texts_after(headline) if headline is not None else texts_within(body) if body is not None else ()


def _datelines(nodes: Iterable[str]) -> Iterator[str]:
    """Short texts holding a digit within the first DATELINE_CHARS (and DATELINE_NODES) of `nodes`:
    a dateline is short, a story paragraph that mentions a date is not."""
    seen = 0
    for node in islice(nodes, DATELINE_NODES):
        chars = collapse(str(node))
        seen += len(chars)
        if (
            chars
            and len(chars) <= DATELINE_MAX_CHARS
            and (any(c.isdigit() for c in chars) or RELATIVE_WORDS.search(chars))
            and not SENTENCE_MARKS & set(chars)
        ):
            yield chars
        if seen > DATELINE_CHARS:
            return


def _tz_name(value: datetime, default: str) -> str | None:
    name = value.tzname() or ""
    return default if getattr(value.tzinfo, "key", None) == default else (name.replace("UTC", "") or "+00:00")


# --- Author, origin, images ---------------------------------------------------------------------


def _author(root: _Element, selectors: Selectors, ld: dict) -> str | None:
    element = select_first(root, selectors.author) if selectors.author else None
    found = text_of(element) if element is not None else ""
    found = found or meta_content(root, AUTHOR_META) or json_ld_author(ld) or ""
    return AUTHOR_LABEL.sub("", found).strip() or None


def _origin(root: _Element, selectors: Selectors) -> str | None:
    element = select_first(root, selectors.origin) if selectors.origin else None
    if element is None:
        return None
    return ORIGIN_PREFIX.sub("", text_of(element)).strip() or None


def _images(container: _Element, base: str) -> list[str]:
    urls: list[str] = []
    for img in container.iter("img"):
        src = img.get("data-src") or img.get("src") or ""
        if src and not src.startswith("data:"):
            absolute = urljoin(base, src.strip())
            if absolute not in urls:
                urls.append(absolute)
    return urls
