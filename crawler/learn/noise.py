"""A template's noise: blocks inside its body block that recur across its pages and are not the
story — the generic path left their text out (a share bar, a statement, an editor's line), or
their text is the same on several pages (boilerplate, even where the generic path kept it), or
they are mostly links (a recommendation list). Never a block holding much of a page's text."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from crawler.extract.html import css, text_of
from crawler.learn.layouts import Template
from crawler.learn.pages import Sampled, names_of, normalised

RECUR_SHARE = 0.5  # share of the template's pages a block recurs on (and on two at least)
STORY_SHARE = 0.3  # a block holding more of a page's body text than this is never noise
LEFT_OUT = 0.3  # share of a block's text the generic path kept, below which it left the block out
LINKS_SHARE = 0.6  # share of a block's text in links that makes it a link list


@dataclass
class Seen:
    """One name's blocks inside the body blocks of a template's pages."""

    pages: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    left_out: int = 0
    linked: int = 0
    most_share: float = 0.0


def learn_noise(template: Template, body: str) -> list[str]:
    """The names of the blocks that are noise inside the template's body blocks, outermost only."""
    seen: dict[str, Seen] = defaultdict(Seen)
    for page in template.pages:
        found = css(body)(page.root)
        if found:
            _look(page, found[0], seen)
    least = max(2.0, RECUR_SHARE * len(template.pages))
    noise = [name for name, blocks in seen.items() if len(blocks.pages) >= least and _is_noise(blocks)]
    return [name for name in noise if not _inside_another(template, body, name, noise)]


def _look(page: Sampled, block: HtmlElement, seen: dict[str, Seen]) -> None:
    total = len(normalised(text_of(block))) or 1
    for element in block.iterdescendants():
        if not isinstance(element.tag, str):
            continue
        text = normalised(text_of(element))
        for name in names_of(element):
            blocks = seen[name]
            blocks.pages.add(page.url)
            blocks.texts.append(text)
            blocks.most_share = max(blocks.most_share, len(text) / total)
            blocks.left_out += _kept_share(text, page.text) < LEFT_OUT
            blocks.linked += bool(text) and _links_share(element, text) >= LINKS_SHARE


def _is_noise(blocks: Seen) -> bool:
    if blocks.most_share > STORY_SHARE:
        return False
    texts = [t for t in blocks.texts if t]
    repeated = len(texts) != len(set(texts))
    return repeated or blocks.left_out == len(blocks.texts) or blocks.linked == len(blocks.texts)


def _kept_share(text: str, kept: str) -> float:
    """Share of the block's text the generic path kept, by its pieces of 8 characters."""
    if not text:
        return 1.0
    pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
    return sum(len(p) for p in pieces if p in kept) / len(text)


def _links_share(element: HtmlElement, text: str) -> float:
    linked = sum(len(normalised(text_of(a))) for a in element.iter("a"))
    return linked / len(text)


def _inside_another(template: Template, body: str, name: str, noise: list[str]) -> bool:
    """Whether every block of `name` sits inside a block of another noise name."""
    for page in template.pages:
        found = css(body)(page.root)
        for element in css(name)(found[0]) if found else []:
            if not any(set(names_of(a)) & (set(noise) - {name}) for a in element.iterancestors()):
                return False
    return True
