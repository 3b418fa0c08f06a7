"""A site's templates, learned from its sampled article pages. A template is told by a marker: a
stable name (an id or class, never a position) near the main text of several pages. Its pages are
every page that has the marker anywhere — the pages `choose_layout` will give its layout in a
crawl, which takes the first layout whose marker a page has — less those an earlier layout took.
Names nearest the text are tried first: a wrapper every template shares (`.clearfix`,
`.container`) is near the text too, but farther, and no one body selector reads its pages. Within
a template, the body selector is the name (or ancestor-and-name pair) whose block gives the
generic path's text on its pages; title and time selectors are those whose text is the generic
path's title and time. A template is kept when its layout passes the caller's check; one seen on
too few pages stays on the generic path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from statistics import median

from lxml.html import HtmlElement

from crawler.extract.html import css, text_of
from crawler.learn.pages import Sampled, char_f1, names_of, normalised

BODY_AGREEMENT = 0.7  # char F1 of a body block with the generic text, noise still in it, to be a candidate
SELECTOR_SHARE = 0.8  # share of a template's pages a selector must read as the generic path does
ANCESTORS = 3  # levels above the container whose names make body selector candidates


@dataclass(frozen=True)
class Template:
    """Pages that share a template: the marker that tells them, the pages, and the body selectors
    that read them, best first (`ranked_bodies`)."""

    marker: str
    pages: tuple[Sampled, ...]
    bodies: tuple[str, ...] = ()


def templates(
    pages: list[Sampled], min_pages: int, keep: Callable[[Template], bool]
) -> tuple[list[Template], list[Sampled]]:
    """The templates `keep` took, in the order a crawl tries their markers, and the pages left to
    the generic path."""
    found: list[Template] = []
    left = list(pages)
    tried: set[str] = set()
    while (template := _next_template(left, min_pages, tried)) is not None:
        tried.add(template.marker)
        if keep(template):
            found.append(template)
            left = [page for page in left if page not in template.pages]
    return found, left


def _next_template(pages: list[Sampled], min_pages: int, tried: set[str]) -> Template | None:
    """The template of the untried name nearest the text of at least `min_pages` pages, of the
    pages that have it, when one body selector reads them; on a tie, the one of more pages, then
    an id."""
    ranked: list[tuple[float, int, bool, str]] = []
    for name in dict.fromkeys(n for page in pages for n in page.near if n not in tried):
        near = [page.near.index(name) for page in pages if name in page.near]
        if len(near) >= min_pages:
            having = sum(1 for page in pages if name in page.names)
            ranked.append((median(near), -having, not name.startswith("#"), name))
    for *_, name in sorted(ranked):
        members = tuple(page for page in pages if name in page.names)
        bodies = ranked_bodies(members)
        if bodies:
            return Template(name, members, tuple(bodies))
        tried.add(name)
    return None


def body_candidates(pages: tuple[Sampled, ...]) -> list[str]:
    """Selectors that may read the pages' body: the container's names, its ancestors', and each
    ancestor's name before each of the container's."""
    found: dict[str, None] = {}
    for page in pages:
        if page.container is None:
            continue
        own = names_of(page.container)
        found.update(dict.fromkeys(own))
        for level, ancestor in enumerate(page.container.iterancestors()):
            if level == ANCESTORS:
                break
            for name in names_of(ancestor):
                found[name] = None
                found.update(dict.fromkeys(f"{name} {inner}" for inner in own))
    return list(found)


def ranked_bodies(pages: tuple[Sampled, ...]) -> list[str]:
    """The body selectors that read SELECTOR_SHARE of the pages near the generic text (on the
    others the generic path may be the one that is wrong), best first: the most pages, then the
    highest total, then ids before classes, then the shortest."""
    scored = []
    blocks: dict[HtmlElement, float] = {}  # selectors that find the same block score it once
    for selector in body_candidates(pages):
        select = css(selector)
        scores = []
        for page in pages:
            found = select(page.root)
            if found and found[0] not in blocks:
                blocks[found[0]] = char_f1(normalised(text_of(found[0])), page.text)
            scores.append(blocks[found[0]] if found else 0.0)
        near = sum(1 for score in scores if score >= BODY_AGREEMENT)
        if near >= SELECTOR_SHARE * len(scores):
            scored.append((-near, -sum(scores), not selector.startswith("#"), len(selector), selector))
    return [entry[-1] for entry in sorted(scored)]


def title_selector(template: Template) -> str | None:
    """The selector whose first element is the generic path's title on SELECTOR_SHARE of the
    template's pages, or None (the generic rules find the title)."""

    def is_title(page: Sampled, element: HtmlElement) -> bool:
        return bool(page.article.title) and normalised(text_of(element)) == normalised(page.article.title)

    return _agreeing(template, is_title, lambda page: _headings(page.root))


def time_selector(template: Template) -> str | None:
    """The selector whose first element shows the generic path's time as written, on
    SELECTOR_SHARE of the template's pages, or None (the generic rules find the time)."""

    def shows_time(page: Sampled, element: HtmlElement) -> bool:
        raw = page.article.published_raw
        return bool(raw) and normalised(raw or "") in normalised(text_of(element))

    def holders(page: Sampled) -> Iterator[HtmlElement]:
        raw = normalised(page.article.published_raw or "")
        if not raw:
            return
        for element in page.root.iter("div", "span", "p", "time", "em", "li", "small", "i", "font"):
            text = normalised(text_of(element))
            if raw in text and len(text) <= 4 * len(raw) + 60:
                yield element

    return _agreeing(template, shows_time, holders)


def _headings(root: HtmlElement) -> Iterator[HtmlElement]:
    yield from root.iter("h1", "h2", "h3")
    yield from (e for e in root.iter("div", "p", "span") if "title" in e.get("class", ""))


def _agreeing(
    template: Template,
    holds: Callable[[Sampled, HtmlElement], bool],
    elements: Callable[[Sampled], Iterable[HtmlElement]],
) -> str | None:
    """The selector made of names (tag with class or id; a name under an ancestor's) whose first
    match `holds` on SELECTOR_SHARE of the template's pages; the most pages first, then the
    shortest."""
    candidates: dict[str, None] = {}
    for page in template.pages:
        for element in elements(page):
            if holds(page, element):
                candidates.update(dict.fromkeys(_selectors_of(element)))
    best: tuple[int, int, str] | None = None
    for selector in candidates:
        select = css(selector)
        hits = sum(1 for page in template.pages if (found := select(page.root)) and holds(page, found[0]))
        if hits >= SELECTOR_SHARE * len(template.pages) and (
            best is None or (-hits, len(selector)) < best[:2]
        ):
            best = (-hits, len(selector), selector)
    return best[2] if best else None


def _selectors_of(element: HtmlElement) -> Iterator[str]:
    """Stable selectors for one element: its tag with each name, and under its parent's names."""
    own = [f"{element.tag}{name}" for name in names_of(element)]
    yield from own
    parent = element.getparent()
    for name in names_of(parent) if parent is not None else []:
        yield f"{name} {element.tag}"
        yield from (f"{name} {mine}" for mine in own)
