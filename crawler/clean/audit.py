"""The cleaning audit stored on each article, so a wrong cut can be traced to the rule that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Audit:
    rules: dict[str, dict[str, int]] = field(default_factory=dict)

    def cut(self, rule: str, texts: list[str]) -> None:
        entry = self.rules.setdefault(rule, {"blocks": 0, "chars": 0})
        entry["blocks"] += len(texts)
        entry["chars"] += sum(len(t) for t in texts)

    def merge(self, other: Audit) -> None:
        for rule, entry in other.rules.items():
            mine = self.rules.setdefault(rule, {"blocks": 0, "chars": 0})
            mine["blocks"] += entry["blocks"]
            mine["chars"] += entry["chars"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocks_removed": sum(e["blocks"] for e in self.rules.values()),
            "chars_removed": sum(e["chars"] for e in self.rules.values()),
            "rules": {k: dict(v) for k, v in sorted(self.rules.items())},
        }
