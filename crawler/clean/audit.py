"""The cleaning audit stored on each article, so a wrong cut can be traced to the rule that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAMPLES = 3  # cut texts kept per rule, so an operator can see what a rule took
SAMPLE_CHARS = 120


@dataclass
class Audit:
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    spared: dict[str, int] = field(default_factory=dict)  # rule -> characters it would have taken

    def spare(self, rule: str, text: str) -> None:
        """A block the rule matched was kept because it holds the story."""
        self.spared[rule] = self.spared.get(rule, 0) + len(text)

    def spared_why(self) -> str | None:
        """The words extracted_why gets when a rule was overruled, or None."""
        if not self.spared:
            return None
        said = ", ".join(f"{rule} matched a block of {chars}" for rule, chars in sorted(self.spared.items()))
        return f"{said} characters holding the story: kept"

    def cut(self, rule: str, texts: list[str]) -> None:
        self._add(rule, len(texts), sum(len(t) for t in texts), [t[:SAMPLE_CHARS] for t in texts])

    def merge(self, other: Audit) -> None:
        for rule, entry in other.rules.items():
            self._add(rule, entry["blocks"], entry["chars"], entry["cut"])
        for rule, chars in other.spared.items():
            self.spared[rule] = self.spared.get(rule, 0) + chars

    def _add(self, rule: str, blocks: int, chars: int, samples: list[str]) -> None:
        entry = self.rules.setdefault(rule, {"blocks": 0, "chars": 0, "cut": []})
        entry["blocks"] += blocks
        entry["chars"] += chars
        entry["cut"] += samples[: SAMPLES - len(entry["cut"])]

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocks_removed": sum(e["blocks"] for e in self.rules.values()),
            "chars_removed": sum(e["chars"] for e in self.rules.values()),
            "rules": {k: dict(v) for k, v in sorted(self.rules.items())},
            **({"spared": dict(sorted(self.spared.items()))} if self.spared else {}),
        }
