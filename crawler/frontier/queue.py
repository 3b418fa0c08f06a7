"""One source's frontier in Redis: a stream of requests read through a consumer group, the
round's duplicate filter, and the seeding lock. Plain Redis operations, usable without a crawl.

Keys share the `{source}` hash tag, so one source's frontier lives on one Redis Cluster slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis import Redis
from redis.exceptions import ResponseError

PREFIX = "crawler"  # of every key this package writes
GROUP = "workers"
Messages = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]  # what XREADGROUP answers, per stream

# A request goes in unless its fingerprint is already in this round's filter (the filter expires
# ARGV[3] seconds after its last addition, so its memory is bounded by what a round discovers).
_PUSH = """
if ARGV[1] ~= '' then
  local seen = KEYS[1] .. ':seen:' .. (redis.call('GET', KEYS[2]) or '0')
  if redis.call('SADD', seen, ARGV[1]) == 0 then return 0 end
  redis.call('EXPIRE', seen, ARGV[3])
end
redis.call('XADD', KEYS[1], '*', 'r', ARGV[2], 't', '0')
return 1
"""

# A new round: only when nothing of the last one is queued or leased, and not again while the lock
# (taken here, for ARGV[1] ms) is held, so two schedulers never seed one source twice; an explicit
# crawl (ARGV[3] = 1) does not wait for the lock.
_SEED = """
if ARGV[3] == '0' and redis.call('EXISTS', KEYS[3]) == 1 then return 'locked' end
if redis.call('XLEN', KEYS[1]) > 0 then return 'busy' end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[1])
redis.call('DEL', KEYS[1] .. ':seen:' .. (redis.call('GET', KEYS[2]) or '0'))  -- the last round is done
local round = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], '*', 'seed', round, 't', '0')
local now = redis.call('TIME')
redis.call('HSET', KEYS[1] .. ':round:' .. round, 'started', now[1] .. '.' .. string.format('%06d', now[2]))
redis.call('SADD', KEYS[1] .. ':rounds', round)
return 'seeded'
"""

# Leases done: acknowledged and deleted, and with them what the worker counted since its last
# acknowledgement added to the round under way (ARGV: group, worker, n, n ids, then name/count
# pairs), so a worker's counts are in the round exactly when its pages are done.
_ACK = """
local n = tonumber(ARGV[3])
for i = 4, 3 + n do
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  redis.call('XDEL', KEYS[1], ARGV[i])
end
local counts = KEYS[1] .. ':round:' .. (redis.call('GET', KEYS[2]) or '0')
for i = 4 + n, #ARGV - 1, 2 do
  redis.call('HINCRBY', counts, ARGV[i], ARGV[i + 1])
end
if n > 0 and redis.call('HEXISTS', counts, 'started') == 1 then
  redis.call('HINCRBY', counts .. ':workers', ARGV[2], n)
  local now = redis.call('TIME')
  redis.call('HSET', counts, 'ended', now[1] .. '.' .. string.format('%06d', now[2]))
end
return n
"""

# A round past its deadline: what it still has queued or leased goes to the dead list.
_END = """
local moved = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local flat = entry[2]
  for i = 1, #flat, 2 do
    if flat[i] == 'r' then redis.call('RPUSH', KEYS[2], flat[i + 1]); moved = moved + 1 end
  end
  redis.call('XACK', KEYS[1], ARGV[1], entry[1])
  redis.call('XDEL', KEYS[1], entry[1])
end
return moved
"""

# A stopped worker's leases go back to the end of the queue, each with one more delivery counted;
# past ARGV[3] deliveries an entry goes to the dead list instead. Nothing happens while the
# worker's heartbeat key (KEYS[2]) lives, so a slow worker keeps what it holds.
_REQUEUE = """
if KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local moved = 0
while true do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 100, ARGV[2])
  if #pending == 0 then break end
  for _, p in ipairs(pending) do
    local id = p[1]
    local entry = redis.call('XRANGE', KEYS[1], id, id)
    if #entry > 0 then
      local fields, tries = {}, 0
      local flat = entry[1][2]
      for i = 1, #flat, 2 do
        if flat[i] == 't' then tries = tonumber(flat[i + 1]) else
          table.insert(fields, flat[i]); table.insert(fields, flat[i + 1]) end
      end
      tries = tries + 1
      if tries > tonumber(ARGV[3]) then
        redis.call('RPUSH', KEYS[3], flat[2])
      else
        table.insert(fields, 't'); table.insert(fields, tostring(tries))
        redis.call('XADD', KEYS[1], '*', unpack(fields))
      end
      moved = moved + 1
    end
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  end
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return moved
"""


@dataclass(frozen=True)
class Entry:
    id: str
    payload: bytes | None  # a serialised request; None for a seed
    seed: int | None  # the round a seed entry starts


@dataclass(frozen=True)
class Depth:
    """What a source's frontier holds: waiting, taken by a worker, and set aside."""

    queued: int
    leased: int
    dead: int
    round: int
    leases: dict[str, int]  # worker -> entries it holds


class Frontier:
    def __init__(self, server: Redis, source: str) -> None:
        self.server = server
        self.source = source
        self.stream = f"{PREFIX}:{{{source}}}:frontier"
        self.round_key = f"{self.stream}:round"
        self.lock_key = f"{self.stream}:seed-lock"
        self.dead_key = f"{self.stream}:dead"
        self._push = server.register_script(_PUSH)
        self._seed = server.register_script(_SEED)
        self._requeue = server.register_script(_REQUEUE)
        self._ack = server.register_script(_ACK)
        self._end = server.register_script(_END)

    def ensure(self) -> None:
        """The stream and its consumer group, made by whichever worker comes first."""
        if self._has_group():
            return
        try:
            self.server.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError:
            if not self._has_group():  # not another worker's creation meanwhile
                raise

    def _has_group(self) -> bool:
        if not self.server.exists(self.stream):
            return False
        groups = cast(list[dict[str, Any]], self.server.xinfo_groups(self.stream))
        return any(group["name"] in (GROUP, GROUP.encode()) for group in groups)

    def push(self, payload: bytes, fingerprint: bytes | None, seen_ttl: int) -> bool:
        """False when the request was already seen this round."""
        return bool(
            self._push(keys=[self.stream, self.round_key], args=[fingerprint or b"", payload, seen_ttl])
        )

    def take(self, worker: str, count: int = 1) -> list[Entry]:
        answer = cast(Messages, self.server.xreadgroup(GROUP, worker, {self.stream: ">"}, count=count))
        entries = []
        for _, messages in answer or []:
            for entry_id, fields in messages:
                seed = fields.get(b"seed")
                entries.append(
                    Entry(_text(entry_id), fields.get(b"r"), int(seed) if seed is not None else None)
                )
        return entries

    def set_aside(self, entry_id: str, payload: bytes) -> None:
        """An entry no worker can run goes to the dead list (where `crawler status` counts it), out of
        the stream, in one step."""
        with self.server.pipeline(transaction=True) as pipe:
            pipe.rpush(self.dead_key, payload)
            pipe.xack(self.stream, GROUP, entry_id)
            pipe.xdel(self.stream, entry_id)
            pipe.execute()

    def ack(self, ids: list[str], worker: str = "", counts: dict[str, int] | None = None) -> None:
        """The leases done, and what `worker` counted since its last call, for the round."""
        pairs = [value for name, n in (counts or {}).items() if n for value in (name, n)]
        if ids or pairs:
            self._ack(keys=[self.stream, self.round_key], args=[GROUP, worker, len(ids), *ids, *pairs])

    # --- rounds (crawler/frontier/rounds.py) ----------------------------------------------------

    def round_number(self) -> int:
        return int(self.server.get(self.round_key) or 0)

    def open_rounds(self) -> list[int]:
        """Rounds seeded and not yet recorded."""
        return sorted(int(n) for n in self.server.smembers(f"{self.stream}:rounds"))

    def round_counts(self, number: int) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
        counts = f"{self.stream}:round:{number}"
        with self.server.pipeline(transaction=False) as pipe:
            pipe.hgetall(counts)
            pipe.hgetall(f"{counts}:workers")
            raw, workers = pipe.execute()
        return raw, workers

    def round_started(self, number: int) -> float | None:
        started = self.server.hget(f"{self.stream}:round:{number}", "started")
        return float(started) if started else None

    def claim_round(self, number: int, worker: str, ms: int) -> bool:
        """Whether `worker` is the one to record the round (for `ms`, unless it closes it first)."""
        return bool(self.server.set(f"{self.stream}:round:{number}:claim", worker, nx=True, px=ms))

    def release_round(self, number: int, worker: str) -> None:
        claim = f"{self.stream}:round:{number}:claim"
        if self.server.get(claim) == worker.encode():
            self.server.delete(claim)

    def close_round(self, number: int, keep_seconds: int) -> None:
        """Recorded: no longer open; its counts stay a while for reading."""
        counts = f"{self.stream}:round:{number}"
        with self.server.pipeline(transaction=True) as pipe:
            pipe.srem(f"{self.stream}:rounds", number)
            pipe.expire(counts, keep_seconds)
            pipe.expire(f"{counts}:workers", keep_seconds)
            pipe.delete(f"{counts}:claim")
            pipe.execute()

    def end_round(self, number: int) -> int:
        """A round past its deadline: what is left of it goes to the dead list; how many."""
        return int(self._end(keys=[self.stream, self.dead_key], args=[GROUP]))

    def give_back(self, worker: str, max_deliveries: int, heartbeat_key: str = "") -> int:
        """Requeue what `worker` holds, unless its heartbeat key still exists; -1 when it does."""
        return int(
            self._requeue(
                keys=[self.stream, heartbeat_key, self.dead_key], args=[GROUP, worker, max_deliveries]
            )
        )

    def seed(self, owner: str, lock_ms: int, force: bool = False) -> str:
        """'seeded', 'busy' (the last round is not done) or 'locked' (seeded lately by anyone)."""
        args: list[int | str] = [max(lock_ms, 1), owner, int(force)]
        return _text(self._seed(keys=[self.stream, self.round_key, self.lock_key], args=args))

    def has_work(self) -> bool:
        """Anything queued or leased: a crawl of this source is not over."""
        return bool(self.server.xlen(self.stream))

    def has_queued(self) -> bool:
        groups = self.server.xinfo_groups(self.stream)
        pending = sum(g["pending"] for g in groups if _text(g["name"]) == GROUP)
        return self.server.xlen(self.stream) > pending

    def consumers(self) -> dict[str, tuple[int, int]]:
        """worker -> (entries it holds, ms since it last read)"""
        try:
            listed = self.server.xinfo_consumers(self.stream, GROUP)
        except ResponseError:  # no stream yet
            return {}
        return {_text(c["name"]): (int(c["pending"]), int(c["idle"])) for c in listed}

    def depth(self) -> Depth:
        leases = {name: held for name, (held, _) in self.consumers().items() if held}
        total = self.server.xlen(self.stream)
        return Depth(
            queued=total - sum(leases.values()),
            leased=sum(leases.values()),
            dead=int(self.server.llen(self.dead_key)),
            round=int(self.server.get(self.round_key) or 0),
            leases=leases,
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
