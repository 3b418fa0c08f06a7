"""Script detection for Chinese text: zh-Hans or zh-Hant, by what OpenCC would change."""

from __future__ import annotations

import operator
import re
from functools import lru_cache

import opencc

_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")  # one pass, not a string per character
MIN_HAN_SHARE = 0.1  # below this share of Han characters the text is not Chinese
SAMPLE_CHARS = 600  # enough text to tell the script, little enough to stay cheap
HANT_SHARE = 0.02  # share of Han characters that t2s would change; Simplified text has ~0


@lru_cache(maxsize=2)
def converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return converter("t2s").convert(text)


def detect_lang(text: str) -> str:
    """`zh-Hant`, `zh-Hans`, or `und` when the text is not mostly Chinese."""
    sample = text[:SAMPLE_CHARS]
    han_text = _NOT_HAN.sub("", sample)
    if not han_text or len(han_text) < MIN_HAN_SHARE * len(sample.replace(" ", "")):
        return "und"
    simplified = to_simplified(han_text)
    changed = sum(map(operator.ne, han_text, simplified))
    return "zh-Hant" if changed / len(han_text) > HANT_SHARE else "zh-Hans"
