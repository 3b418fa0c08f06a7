"""Text normalisation for fingerprints: the same story in another script, with other punctuation
or other paragraph breaks must give the same characters."""

from __future__ import annotations

import re
import unicodedata
import zlib

from crawler.extract.lang import converter

_DROP = re.compile(r"[\W_]+", re.UNICODE)  # punctuation, symbols and white space
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])")  # after NFKC, full-width ！？； are ASCII
MIN_UNIT_CHARS = 16  # normalised characters; shorter sentences are merged into the next one
MAX_UNIT_CHARS = 96  # a longer run without sentence punctuation is cut at content-defined points
ANCHOR_MODULUS = 32  # ~1 in 32 positions is a cut point: units of ~50 characters


def simplified(text: str) -> str:
    """NFKC, then OpenCC tw2sp: Traditional to Simplified *with mainland phrasing* (資料→数据,
    專案→项目), since mirrors often convert with Taiwan phrases; Simplified text passes unchanged."""
    return converter("tw2sp").convert(unicodedata.normalize("NFKC", text))


def normalise(text: str) -> str:
    """Simplified, lower case, punctuation and spaces removed."""
    return squashed(simplified(text))


def squashed(simple: str) -> str:
    """`normalise` of a text already `simplified` (the conversion is the costly part: do it once)."""
    return _DROP.sub("", simple.lower())


def sentence_units(body: str) -> list[str]:
    """`units_of` a body not yet simplified."""
    return units_of(simplified(body))


def units_of(simple: str, limit: int | None = None) -> list[str]:
    """The sentences of a `simplified` body, normalised; a short sentence joins the next so every
    unit carries enough text to fingerprint. Paragraph breaks are ignored (templates move them),
    and a long run without punctuation is cut where its own characters say, so an edit, a dropped
    paragraph or a trimmed end changes only the units it touches. With a `limit`, the first that
    many units, and no work on the rest of a long body."""
    units: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(simple):
        pending += _DROP.sub("", piece).lower()
        if len(pending) >= MIN_UNIT_CHARS:
            units.extend(_cut_long(pending, None if limit is None else limit - len(units)))
            pending = ""
            if limit is not None and len(units) >= limit:
                return units[:limit]
    if len(pending) >= MIN_UNIT_CHARS // 2:
        units.append(pending)
    return units


def _cut_long(run: str, most: int | None = None) -> list[str]:
    """Content-defined chunking: cut after a position whose preceding 3 characters hash to 0
    modulo ANCHOR_MODULUS, so the same text is cut at the same places wherever it starts. With
    `most`, stop once that many pieces are cut (the caller keeps no more)."""
    if len(run) <= MAX_UNIT_CHARS:
        return [run]
    pieces, start = [], 0
    for end in range(MIN_UNIT_CHARS, len(run) - MIN_UNIT_CHARS + 1):
        if end - start >= MIN_UNIT_CHARS and zlib.crc32(run[end - 3 : end].encode()) % ANCHOR_MODULUS == 0:
            pieces.append(run[start:end])
            start = end
            if most is not None and len(pieces) >= most:
                return pieces
    pieces.append(run[start:])
    return pieces
