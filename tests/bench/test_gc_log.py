"""bench/gc_log.py: the GC log option merged into a run's settings, and the heap after collections
read from G1's log lines (as Java 17 writes them under -Xlog:gc)."""

from __future__ import annotations

from pathlib import Path

from bench import gc_log

LOG = """\
[0.008s][info][gc] Using G1
[0.212s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 25M->22M(382M) 8.920ms
[3.861s][info][gc] GC(5) Pause Young (Concurrent Start) (G1 Humongous Allocation) 706M->575M(1140M) 4.1ms
[3.862s][info][gc] GC(6) Concurrent Mark Cycle
[3.990s][info][gc] GC(6) Pause Remark 1609M->1460M(2140M) 3.3ms
[3.995s][info][gc] GC(6) Pause Cleanup 1482M->1482M(2140M) 0.1ms
[4.100s][info][gc] GC(7) Pause Young (Mixed) (G1 Evacuation Pause) 2G->1G(4G) 12.0ms
[5.000s][info][gc] GC(8) Pause Young (Prepare Mixed) (G1 Evacuation Pause) 900M->417M(1140M) 2.2ms
"""


def test_the_peak_is_the_largest_heap_a_young_mixed_or_full_pause_left(tmp_path: Path):
    log = tmp_path / "gc.log"
    log.write_text(LOG)
    # 1G after the mixed pause; the remark and cleanup pauses (1460M, 1482M) collect nothing
    assert gc_log.peak_heap_after_gc(log) == 2**30
    log.write_text(LOG + "[9.0s][info][gc] GC(9) Pause Full (System.gc()) 3000M->1500M(4096M) 80.0ms\n")
    assert gc_log.peak_heap_after_gc(log) == 1500 * 2**20
    log.write_text("[0.2s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 25600K->9000K(392M) 3ms\n")
    assert gc_log.peak_heap_after_gc(log) == 9000 * 2**10


def test_no_log_or_no_collection_gives_none(tmp_path: Path):
    assert gc_log.peak_heap_after_gc(tmp_path / "missing.log") is None
    log = tmp_path / "gc.log"
    log.write_text("[0.008s][info][gc] Using G1\n")
    assert gc_log.peak_heap_after_gc(log) is None


def test_the_log_option_follows_the_java_options_a_run_already_has(tmp_path: Path):
    path = tmp_path / "gc.log"
    assert gc_log.with_gc_log({"spark.ui.enabled": "false"}, path) == {
        "spark.ui.enabled": "false",
        gc_log.DRIVER_JAVA_OPTIONS: f"-Xlog:gc:file={path}",
    }
    given = {gc_log.DRIVER_JAVA_OPTIONS: "-XX:TieredStopAtLevel=1"}
    merged = gc_log.with_gc_log(given, path)
    assert merged[gc_log.DRIVER_JAVA_OPTIONS] == f"-XX:TieredStopAtLevel=1 -Xlog:gc:file={path}"
    assert given == {gc_log.DRIVER_JAVA_OPTIONS: "-XX:TieredStopAtLevel=1"}  # not changed in place
