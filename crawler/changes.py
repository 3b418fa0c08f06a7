"""What changed between two versions of an article: whether it is a change at all, a short summary
of it, and a diff a reader can follow. Plain functions over clean text, no store.

Cleaning has already removed what a page changes without its story changing (a view counter, an
ad, a related-links list), so two clean texts differ substantively when they still differ after
NFKC (full-width and half-width punctuation alike) with every white space removed.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")


def text_key(title: str, body: str) -> str:
    """The same for two texts that differ only in white space or in the width of their characters."""
    squashed = _SPACE.sub("", unicodedata.normalize("NFKC", f"{title}\n{body}"))
    return hashlib.sha1(squashed.encode()).hexdigest()


def substantive(old: tuple[str, str], new: tuple[str, str]) -> bool:
    """True when the new (title, body) says something the old did not."""
    return text_key(*old) != text_key(*new)


@dataclass(frozen=True)
class Change:
    added: int  # characters of the new body not in the old
    removed: int  # characters of the old body not in the new
    paragraphs: int  # paragraphs of the new body added or changed, plus those of the old removed

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "removed": self.removed, "paragraphs": self.paragraphs}


def change(old_body: str, new_body: str) -> Change:
    """Characters and paragraphs changed from one body to the next; for a first version, pass "".
    Paragraphs are matched first, and characters compared only within the ones that changed, so a
    long article with one edited sentence costs that sentence."""
    old_lines, new_lines = _paragraphs(old_body), _paragraphs(new_body)
    added = removed = paragraphs = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old_lines, new_lines, autojunk=False
    ).get_opcodes():
        if op == "equal":
            continue
        paragraphs += max(i2 - i1, j2 - j1)
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        same = (
            sum(
                block.size
                for block in difflib.SequenceMatcher(
                    None, before, after, autojunk=False
                ).get_matching_blocks()
            )
            if before and after
            else 0
        )  # paragraphs only added or only removed share nothing
        added, removed = added + len(after) - same, removed + len(before) - same
    return Change(added, removed, paragraphs)


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two bodies, one paragraph per line."""
    lines = difflib.unified_diff(_paragraphs(old), _paragraphs(new), old_name, new_name, lineterm="")
    return "\n".join(lines)


def _paragraphs(body: str) -> list[str]:
    return [line for line in body.split("\n") if line.strip()]
