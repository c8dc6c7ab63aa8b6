"""The JVM's stderr filter: the JDK's incubator notice is dropped, everything else passes in order."""

from __future__ import annotations

import subprocess
import sys

from spark_jobs.jvm_stderr import without_incubator_notice

# What `java --add-modules=jdk.incubator.vector` prints first (checked by hand on JDK 17), then a log line.
CHILD = (
    "import sys; sys.stderr.write('WARNING: Using incubator modules: jdk.incubator.vector\\n"
    "12:00:00 WARN TaskSetManager: Lost task 0.0\\n'); print('out')"
)


def test_the_notice_is_dropped_from_a_child_started_in_the_block(capfd):
    with without_incubator_notice() as forwarder:
        child = subprocess.Popen([sys.executable, "-c", CHILD])
    child.wait()
    forwarder.join(timeout=10)
    captured = capfd.readouterr()
    assert not forwarder.is_alive()
    assert captured.err == "12:00:00 WARN TaskSetManager: Lost task 0.0\n"
    assert captured.out == "out\n"


def test_stderr_is_ours_again_after_the_block(capfd):
    with without_incubator_notice() as forwarder:
        pass
    forwarder.join(timeout=10)
    subprocess.run([sys.executable, "-c", CHILD], check=True)
    assert capfd.readouterr().err.startswith("WARNING: Using incubator modules: ")
