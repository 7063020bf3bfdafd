"""Which backup files an hourly monitor run reads in full: the rolling re-hash schedule, as a pure decision.

Size + mtime cannot see bytes changed in place with the mtime put back (``touch -r``, a copy by ``cp -p``, bit
rot): only reading the content can. Reading every file every hour would cost the whole backup volume each hour,
so a run reads:

1. every *changed* file (no record, or size, mtime or the manifest's hash differ from it): in full, at once;
2. every file whose recorded verdict is a problem, each run whatever its signature: a repaired file (a good copy
   put back by ``cp -p`` keeps the bad file's size and mtime) resolves its alert within the hour;
3. the trusted files, spread over a *cycle*. The pace is total bytes / (``monitor_rehash_days`` x 24 - 1) per
   run, at least ``REHASH_MIN_BYTES_PER_RUN`` (a small set is re-read every few hours rather than once a week);
   the cycle is total / pace runs, at most the window less one run. Each file has a fixed phase in the cycle,
   from a hash of its path, and is read in the first run at or after its phase point following its last read:
   within one cycle and one run of that read, so within the window (after missed runs, an overdue file is read
   at the next run). The reads spread evenly over the runs whatever the files' sizes and whenever they were
   verified: a whole set verified in one run does not fall due again in one run, and a file of many runs'
   bytes is read once per cycle (a greedy "fill each run's budget, oldest first" would read such a file in
   every run, multiplying the cost by that ratio);
4. a record without a read time (kept before this schedule existed, or dated in the future by a clock set
   back) is read when its phase point comes round from now: within one cycle, spread like the rest, so an
   upgrade does not read the whole volume in one run.

Items 1 and 2 are outside the pace: they are few, and bounded by what changed or is already alerted.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

RUN_INTERVAL_SECONDS = 3600  # db_backup_monitor runs hourly ("0 * * * *")
# ~35 ms of sha256 on the CI machine (0.9 GB/s from the page cache), below the run's fixed cost for 1,360 files;
# it sets the pace of any set below ~5.6 GB at the default 7 days: each file re-read within total / 32 MiB runs.
REHASH_MIN_BYTES_PER_RUN = 32 * 1024 * 1024


@dataclass(frozen=True)
class FileFacts:
    """What the schedule needs to know about one artefact on disk."""

    path: str
    size_bytes: int
    changed: bool              # no record, or its size, mtime or manifest hash differ from the record
    bad: bool                  # the recorded verdict is a problem
    hashed_at: float | None    # epoch seconds of the last full read; None: unknown (a record older than the schedule)


@dataclass(frozen=True)
class RehashPlan:
    verify: list[str]          # changed: verified in full (hash, then listing)
    recheck: list[str]         # in a bad state: re-hashed every run, so a silent repair resolves the alert
    rolling: list[str]         # trusted, due this run by the pace
    budget_bytes: int          # the pace: bytes per run of the rolling re-hash
    cycle_seconds: float       # every trusted file is read again within this


def rehash_budget_bytes(total_bytes: int, rehash_days: float, min_bytes: int = REHASH_MIN_BYTES_PER_RUN) -> int:
    """Bytes per run that cover ``total_bytes`` within ``rehash_days`` of hourly runs less one: a file is read
    in the first run after its phase point, up to one run after a cycle since its last read."""
    runs = max(rehash_days * 86400 / RUN_INTERVAL_SECONDS - 1, 1.0)
    return max(min_bytes, math.ceil(total_bytes / runs), 1)


def path_phase(path: str) -> float:
    """A file's fixed place in the cycle, in [0, 1): the same in every run and process (unlike ``hash()``)."""
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big") / 2**64


def plan_rehash(files: Sequence[FileFacts], now: float, rehash_days: float, *,
                min_bytes: int = REHASH_MIN_BYTES_PER_RUN,
                phase_of: Callable[[str], float] = path_phase) -> RehashPlan:
    """Split the artefacts of one run into verify / recheck / rolling; every other file is trusted this run.

    ``rolling`` is ordered by the time each file fell due. Phase points are absolute times (offset + k x cycle
    from the epoch), so the schedule needs no memory beyond each file's last read.
    """
    total = sum(f.size_bytes for f in files)
    rate = rehash_budget_bytes(total, rehash_days, min_bytes)
    cycle = total / rate * RUN_INTERVAL_SECONDS
    verify = [f.path for f in files if f.changed]
    recheck = [f.path for f in files if not f.changed and f.bad]
    due: list[tuple[float, str]] = []
    for facts in files:
        if facts.changed or facts.bad:
            continue
        if cycle <= RUN_INTERVAL_SECONDS:  # the whole set fits in one run's pace
            due.append((0.0, facts.path))
            continue
        offset = phase_of(facts.path) * cycle
        if facts.hashed_at is None or facts.hashed_at > now:  # unknown: a phase point since the previous run
            when = offset + math.floor((now - offset) / cycle) * cycle
            if when > now - RUN_INTERVAL_SECONDS:
                due.append((when, facts.path))
            continue
        when = offset + (math.floor((facts.hashed_at - offset) / cycle) + 1) * cycle  # first point after the read
        if when <= now:
            due.append((when, facts.path))
    return RehashPlan(verify, recheck, [path for _, path in sorted(due)], rate, cycle)
