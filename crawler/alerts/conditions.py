"""Which of a source's alert conditions hold after a run, and which alerts that makes: pure
functions over the run record and what the store, the spool and the frontier hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.alerts.messages import CONDITION_TITLES, Alert
from crawler.runs import problems


@dataclass(frozen=True)
class Observed:
    """What a run's end shows beyond its record: the source's recent runs (newest first, this one
    included), the articles waiting in the spool, and the requests in the source's dead list."""

    recent_new: list[int]
    spooled: int = 0
    dead: int = 0


def conditions(record: dict[str, Any], observed: Observed, stale_runs: int) -> dict[str, tuple[str, ...]]:
    """Each condition that holds, with its reasons. A run that failed is not also `degraded`."""
    held: dict[str, tuple[str, ...]] = {}
    if record["status"] in ("failed", "degraded"):
        held[record["status"]] = tuple(problems(record)) or (f"run {record['status']}",)
    recent = observed.recent_new[:stale_runs]
    if stale_runs and len(recent) == stale_runs and not any(recent):
        held["stale"] = (f"no new article in the last {stale_runs} runs",)
    if observed.spooled:
        held["spool"] = (f"{observed.spooled} article(s) wait in the spool for the store",)
    if observed.dead:
        held["dead_requests"] = (f"{observed.dead} request(s) in the frontier's dead list",)
    return held


def transitions(
    record: dict[str, Any], held: dict[str, tuple[str, ...]], open_now: set[str], at: datetime
) -> list[Alert]:
    """An alert for each condition that began, and a `recovered` one for each that ended: one
    per source and condition until it recovers, never one per run."""
    source, status = record["source"], record["status"]
    began = [
        Alert(source, c, "firing", held[c], status, at)
        for c in CONDITION_TITLES
        if c in held and c not in open_now
    ]
    ended = [
        Alert(source, c, "recovered", (), status, at)
        for c in CONDITION_TITLES
        if c in open_now and c not in held
    ]
    return began + ended
