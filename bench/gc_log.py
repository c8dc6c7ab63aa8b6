"""The JVM's GC log of a Spark run: the option that writes it, and the most heap a collection left.

RSS says how much memory the JVM has touched, which grows towards its maximum heap whenever
collecting later is cheaper; the heap left in use after a collection is what the JVM could not
free: an upper bound of what the job holds (old-generation garbage stays counted until a mixed or
full collection), and the figure that says whether memory grows with the input. A long run whose
old generation stays far below G1's marking threshold is seldom marked, so its garbage piles up in
the figure; `--conf "spark.driver.extraJavaOptions=-XX:InitiatingHeapOccupancyPercent=5
-XX:-G1UseAdaptiveIHOP"` makes G1 mark early and the figure close to what the job holds, for more
CPU (docs/performance.md, "2026-12-07, evening").
"""

from __future__ import annotations

import re
from pathlib import Path

DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"
# G1's one line per pause under -Xlog:gc, e.g.
# [12.345s][info][gc] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 1024M->312M(4096M) 8.1ms
# Young, mixed and full pauses free memory; a remark or cleanup pause only marks, so its "after"
# still holds the garbage the next young or mixed pause frees.
_COLLECTION = re.compile(r"\bPause (?:Young|Full)\b.*?\s(\d+)([KMG])->(\d+)([KMG])\(\d+[KMG]\)")
_UNIT = {"K": 2**10, "M": 2**20, "G": 2**30}


def with_gc_log(conf: dict[str, str], path: Path) -> dict[str, str]:
    """``conf`` with the driver's JVM (the executor too, in local mode) writing its GC log to
    ``path``, after any Java options ``conf`` already gives it."""
    options = " ".join(filter(None, [conf.get(DRIVER_JAVA_OPTIONS, ""), f"-Xlog:gc:file={path}"]))
    return {**conf, DRIVER_JAVA_OPTIONS: options}


def peak_heap_after_gc(path: Path) -> int | None:
    """The largest heap in use right after a young, mixed or full collection in the log at
    ``path``, in bytes; None without a log or without a collection (a run too small to need one)."""
    if not path.exists():
        return None
    after = [
        int(match[3]) * _UNIT[match[4]]
        for line in path.read_text(errors="replace").splitlines()
        if (match := _COLLECTION.search(line))
    ]
    return max(after, default=None)
