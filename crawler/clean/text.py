"""Text-level cleaning: for bodies that arrive as flat lines (mobile pages, reader-mode mirrors,
the generic fallback), cut link farms, furniture lines and boilerplate edges, and lift the
attribution ("来源：X") and original-title lines into metadata.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from crawler.clean.audit import Audit
from crawler.clean.patterns import (
    BULLETS,
    CONTENT_MIN_CHARS,
    INLINE_NAV,
    LIST_INTRO_END,
    META_LINE_MAX_EXTRA,
    META_MARKERS,
    NOISE_LINES,
    ORIGIN_LINE,
    ORIGINAL_TITLE_LINE,
    RECOMMEND_HEADINGS,
    RECOMMEND_PREFIXES,
    RECOMMEND_SUFFIXES,
    SENTENCE_END,
    SIGNOFF_LINE,
    SIGNOFF_ORIGIN_LABELS,
    TAIL_RUN_MIN,
)
from crawler.extract.article import link_matcher
from crawler.extract.dates import DATE_PATTERNS

_PUNCT_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
_URL_LINE = re.compile(r"^(https?://|www\.)\S+$")
_DIGIT = re.compile(r"\d")
_ENUMERATED = re.compile(r"^[（(]?([0-9]{1,2}|[一二三四五六七八九十]{1,3})[、.)）．]")
META_LINE_MAX = 80  # characters: a dateline is a time stamp and a few short tokens


@dataclass(frozen=True)
class Line:
    """One linearised block of the body; `item` marks list items, which are story text."""

    text: str
    item: bool = False


@dataclass
class CleanText:
    lines: list[str]
    origin: str | None = None
    original_title: str | None = None
    audit: Audit = field(default_factory=Audit)


KEY_MAX_CHARS = 120  # longer lines are prose: compared as they are, not normalised


def squash(text: str) -> str:
    """Comparison key of a line: NFKC, no punctuation or spaces, lower case."""
    if len(text) > KEY_MAX_CHARS:
        return text
    return _PUNCT_SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def is_content(line: Line) -> bool:
    """Story text: a sentence, a long line, a list item or a source URL."""
    text = line.text
    return (
        line.item
        or text.endswith(SENTENCE_END)
        or len(text.replace(" ", "")) >= CONTENT_MIN_CHARS
        or text.startswith(BULLETS)
        or bool(_URL_LINE.match(text))
    )


def is_meta_line(text: str) -> bool:
    """A dateline: a time stamp with at most a few short tokens around it (category, counter)."""
    if len(text) > META_LINE_MAX or not _DIGIT.search(text):
        return False
    if META_MARKERS.search(text):
        return True
    for pattern in DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            rest = (text[: match.start()] + text[match.end() :]).strip()
            return len(rest) <= META_LINE_MAX_EXTRA and not rest.endswith(SENTENCE_END)
    return False


def noise_rule(text: str) -> str | None:
    """The first furniture rule the line matches; a rule's length limit is checked before its
    pattern, so story paragraphs (long) meet only the few anchored rules."""
    for name, pattern, max_chars in NOISE_LINES:
        if (max_chars is None or len(text) <= max_chars) and pattern.search(text):
            return name
    return None


def clean_lines(lines: list[Line], title: str = "", link_texts: frozenset[str] = frozenset()) -> CleanText:
    """Run every text rule over the body's lines, in order, recording each cut in the audit.
    `link_texts` are the page's link texts (title_key form): a tail of lines that are not links,
    not dated headlines and not repeats is the story's own, however short its lines."""
    result = CleanText(lines=[])
    audit = result.audit
    title_key = squash(title)
    keys = [squash(line.text) for line in lines]
    kept: list[Line] = []
    last_key = None
    for index, line in enumerate(lines):
        text, key = line.text, keys[index]
        if (nav := INLINE_NAV.search(text)) and nav.start() and text[: nav.start()].endswith(SENTENCE_END):
            audit.cut("inline_nav", [text[nav.start() :]])
            line = Line(text[: nav.start()], line.item)
            text, key = line.text, squash(line.text)
        if (
            key in RECOMMEND_HEADINGS
            or (len(key) <= 12 and key.endswith(RECOMMEND_SUFFIXES))
            or key.startswith(RECOMMEND_PREFIXES)
        ):
            if any(k.text.endswith(SENTENCE_END) for k in kept):
                audit.cut("recommend_heading", [x.text for x in lines[index:]])
                break
            audit.cut("recommend_heading", [text])
            continue
        if m := SIGNOFF_LINE.match(text):
            if m.group("label") in SIGNOFF_ORIGIN_LABELS and m.group("value") and result.origin is None:
                result.origin = m.group("value").strip()
            if any(k.text.endswith(SENTENCE_END) for k in kept):
                audit.cut("signoff", [x.text for x in lines[index:]])
                break
            audit.cut("signoff", [text])
            continue
        if (m := ORIGIN_LINE.match(text)) and result.origin is None:
            result.origin = m.group("origin").strip()
            audit.cut("origin_line", [text])
            continue
        if (m := ORIGINAL_TITLE_LINE.match(text)) and result.original_title is None:
            result.original_title = (m.group("title") or m.group("bare")).strip()
            audit.cut("original_title_line", [text])
            continue
        if title_key and key == title_key:
            audit.cut("title_repeat", [text])
            continue
        if rule := noise_rule(text):
            audit.cut(rule, [text])
            continue
        if not line.item and is_meta_line(text):
            audit.cut("dateline", [text])
            continue
        if kept and last_key == key:
            audit.cut("repeated_line", [text])
            continue
        kept.append(line)
        last_key = key
    kept = _trim_edges(kept, audit, link_texts)
    result.lines = [line.text for line in kept]
    return result


def _trim_edges(lines: list[Line], audit: Audit, link_texts: frozenset[str]) -> list[Line]:
    """Drop short furniture before the first story line, and a run of headline-like lines after
    the last sentence: menus above a story and link farms below it have no sentences. Short lines
    that end in a colon open the story ("下周一："), and stay. After the last sentence, a run that
    a line ending in a colon introduces ("关键要点：") is the story's list, and so is one whose
    lines are mostly not links of the page, dated headlines or repeats (when the links are known)."""
    first = next((i for i, line in enumerate(lines) if is_content(line)), None)
    if first is None:
        return lines
    lead = lines[:first]
    if lead and not lead[-1].text.endswith(LIST_INTRO_END):
        audit.cut("leading_boilerplate", [x.text for x in lead])
        lines = lines[first:]
    end = len(lines)
    while end and not _is_sentence_like(lines[end - 1]):
        end -= 1
    tail = lines[end:]
    tail_chars, kept_chars = (sum(len(x.text) for x in part) for part in (tail, lines[:end]))
    if (
        tail
        and tail_chars < kept_chars
        and (len(tail) >= TAIL_RUN_MIN or all(len(x.text) < CONTENT_MIN_CHARS for x in tail))
        and not any(x.text.endswith(LIST_INTRO_END) for x in (lines[end - 1 : end] if end else []) + tail)
        and (not link_texts or _farm_like(tail, lines[:end], link_texts))
    ):
        audit.cut("trailing_link_run", [x.text for x in tail])
        lines = lines[:end]
    return lines


def _farm_like(tail: list[Line], story: list[Line], link_texts: frozenset[str]) -> bool:
    """At least half the tail's lines are links of the page, headlines with a date, or repeats."""
    in_links = link_matcher(link_texts)
    seen = {squash(x.text) for x in story}
    evidence = 0
    for line in tail:
        key = squash(line.text)
        evidence += in_links(key) or key in seen or any(p.search(line.text) for p in DATE_PATTERNS)
        seen.add(key)
    return 2 * evidence >= len(tail)


def _is_sentence_like(line: Line) -> bool:
    """Story text at the end of a body: a sentence, a list item (bulleted or numbered) or a URL."""
    text = line.text
    return (
        line.item
        or text.endswith(SENTENCE_END)
        or text.startswith(BULLETS)
        or bool(_ENUMERATED.match(text) or _URL_LINE.match(text))
    )
