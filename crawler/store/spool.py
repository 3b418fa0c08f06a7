"""A local JSON Lines file for writes the store could not take, replayed when it can.

Durability: `append` returns only after the lines are written and fsynced (and, for a new file,
its folder too), so an article the pipeline counts as spooled survives a crash or a power loss
from then on. What a crash in the middle of an append can leave is a torn last line; the next
append starts on a line of its own, and a replay sets the torn line aside in the quarantine file
with its reason and line number, never stopping on it.

Writers and a replay never lose a line: every writer appends to the live file under an exclusive
lock; a replay first renames the live file to a closed segment under the same lock (new appends
then start a new live file) and only ever reads, and removes, closed segments. A segment a replay
did not finish (the store went down, the process died) is taken again by the next replay, whose
writes of what had already landed count as "already stored".
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from bson import json_util

from crawler.failures import SpoolLineError

logger = logging.getLogger(__name__)

# Canonical Extended JSON: int64 and dates come back with their BSON types, as the validator wants.
_JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)
REPLAY_BATCH = 500  # documents handed to the store at a time, so a long outage replays in bounded memory
CLOSED = ".replaying"  # suffix of a segment a replay has taken from the live file


class Written(Protocol):
    """What a batch write reports (store.mongo.WriteResult)."""

    new: int
    updated: int
    unchanged: int
    refused: list[tuple[dict[str, Any], str]]


@dataclass
class Replayed:
    written: int = 0  # stored new or with new content
    already: int = 0  # the store had them already (a replay retried after they had landed)
    refused: int = 0  # refused again by the store: back in the spool
    quarantined: int = 0  # lines that could not be read: in the quarantine file
    busy: bool = False  # another replay was running: this one did nothing


def parse_line(line: str) -> dict[str, Any]:
    try:
        record = json_util.loads(line, json_options=_JSON)
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError; bson raises both
        raise SpoolLineError(f"not JSON: {exc}") from None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("doc"), dict)
        or not record["doc"].get("url")
    ):
        raise SpoolLineError("not a spooled article (no doc with a url)")
    return dict(record["doc"])


class Spool:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.quarantine = self.path.with_name(self.path.name + ".quarantine")

    @contextmanager
    def _locked(self, name: str, blocking: bool = True) -> Iterator[bool]:
        """An exclusive lock on a file beside the spool (never on the spool itself, which a
        replay renames); yields False when `blocking` is off and another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + name), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, docs: list[dict[str, Any]], reason: str) -> None:
        """Add documents, flushed and fsynced before returning: the only copy they have."""
        lines = "".join(
            json_util.dumps(
                {"reason": reason, "doc": {k: v for k, v in doc.items() if k != "_id"}},
                json_options=_JSON,
                ensure_ascii=False,
            )
            + "\n"
            for doc in docs
        ).encode()
        with self._locked(".lock"):
            _append_durably(self.path, lines)

    def closed_segments(self) -> list[Path]:
        """Segments replays have taken from the live file and not finished, oldest first."""
        return sorted(self.path.parent.glob(self.path.name + ".*" + CLOSED))

    def segments(self) -> list[Path]:
        """Everything that waits: the closed segments, then the live file."""
        return self.closed_segments() + ([self.path] if self.path.exists() else [])

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every readable spooled document, one at a time (lines that cannot be read are left out)."""
        for segment in self.segments():
            with segment.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        yield parse_line(line)
                    except SpoolLineError:  # blank, torn or garbage: the replay quarantines it
                        continue

    def __len__(self) -> int:
        """Counted as read, never held: /metrics and the alerts ask while a long outage fills it."""
        return sum(1 for _ in self.documents())

    def replay(self, write: Callable[[list[dict[str, Any]]], Written]) -> Replayed:
        """Hand every spooled document to `write`, in batches; what it refuses goes back to the
        spool, unreadable lines to the quarantine file. If `write` raises, what was not written
        stays spooled (and the exception propagates)."""
        done = Replayed()
        with self._locked(".replay.lock", blocking=False) as mine:
            if not mine:
                done.busy = True
                return done
            self._rotate()
            for segment in self.closed_segments():
                self._replay_segment(segment, write, done)
        if done.written or done.already or done.refused or done.quarantined:
            logger.info(
                "replayed %s: %d written, %d already stored, %d still spooled, %d quarantined in %s",
                self.path,
                done.written,
                done.already,
                done.refused,
                done.quarantined,
                self.quarantine,
            )
        return done

    def _rotate(self) -> None:
        """Close the live file: later appends start a new one, this replay takes the old."""
        with self._locked(".lock"):
            if self.path.exists():
                os.replace(self.path, self.path.with_name(f"{self.path.name}.{time.time_ns()}{CLOSED}"))
                _sync_folder(self.path.parent)

    def _replay_segment(
        self, segment: Path, write: Callable[[list[dict[str, Any]]], Written], done: Replayed
    ) -> None:
        self._set_aside_bad_lines(segment, done)
        with segment.open(encoding="utf-8") as handle:
            for batch in _batches(handle):
                result = write(batch)
                done.written += result.new + result.updated
                done.already += result.unchanged
                for doc, reason in result.refused:
                    self.append([doc], reason)
                    done.refused += 1
        segment.unlink()
        _sync_folder(segment.parent)

    def _set_aside_bad_lines(self, segment: Path, done: Replayed) -> None:
        """Move the lines that cannot be read to the quarantine file, then rewrite the segment
        without them (atomically), so a replay that is retried never quarantines a line twice."""
        bad: list[dict[str, Any]] = []
        with segment.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    parse_line(raw.decode("utf-8"))
                except (SpoolLineError, UnicodeDecodeError) as exc:
                    reason = str(exc) if isinstance(exc, SpoolLineError) else "not UTF-8"
                    bad.append(
                        {
                            "segment": segment.name,
                            "line": number,
                            "reason": reason,
                            "text": raw.rstrip(b"\n").decode("utf-8", "replace"),
                        }
                    )
        if not bad:
            return
        entries = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in bad).encode()
        with self._locked(".lock"):
            _append_durably(self.quarantine, entries)
        lines = {entry["line"] for entry in bad}
        tmp = segment.with_name(segment.name + ".tmp")
        with segment.open("rb") as source, tmp.open("wb") as target:
            target.writelines(line for number, line in enumerate(source, 1) if number not in lines)
            target.flush()
            os.fsync(target.fileno())
        os.replace(tmp, segment)
        for entry in bad:
            logger.warning(
                "%s line %d quarantined in %s: %s", segment, entry["line"], self.quarantine, entry["reason"]
            )
        done.quarantined += len(bad)


def _batches(handle: IO[str]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for line in handle:
        if line.strip():
            batch.append(parse_line(line))
        if len(batch) >= REPLAY_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _append_durably(path: Path, data: bytes) -> None:
    """Append `data` on a line of its own (a torn last line left by a crash stays a line by
    itself, for the replay to quarantine), then fsync; for a new file, fsync its folder too."""
    new = not path.exists()
    with path.open("ab+") as handle:
        if handle.tell() and (handle.seek(-1, os.SEEK_END), handle.read(1))[1] != b"\n":
            data = b"\n" + data
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if new:
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a file's creation, rename or removal itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
