"""Text normalisation for fingerprints: the same story in another script, with other punctuation
or other paragraph breaks must give the same characters."""

from __future__ import annotations

import re
import unicodedata

from crawler.extract.lang import converter

_DROP = re.compile(r"[\W_]+", re.UNICODE)  # punctuation, symbols and white space
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|\n")  # after NFKC, full-width ！？； are ASCII
MIN_UNIT_CHARS = 16  # normalised characters; shorter sentences are merged into the next one


def simplified(text: str) -> str:
    """NFKC, then OpenCC tw2sp: Traditional to Simplified *with mainland phrasing* (資料→数据,
    專案→项目), since mirrors often convert with Taiwan phrases; Simplified text passes unchanged."""
    return converter("tw2sp").convert(unicodedata.normalize("NFKC", text))


def normalise(text: str) -> str:
    """Simplified, lower case, punctuation and spaces removed."""
    return _DROP.sub("", simplified(text).lower())


def sentence_units(body: str) -> list[str]:
    """The body's sentences, normalised; a short sentence joins the next so every unit carries
    enough text to fingerprint. Boundaries depend on nearby sentences only, so an edit, a dropped
    paragraph or a trimmed end changes only the units it touches."""
    text = simplified(body)
    units: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(text):
        pending += _DROP.sub("", piece).lower()
        if len(pending) >= MIN_UNIT_CHARS:
            units.append(pending)
            pending = ""
    if len(pending) >= MIN_UNIT_CHARS // 2:
        units.append(pending)
    return units
