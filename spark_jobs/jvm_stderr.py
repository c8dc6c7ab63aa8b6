"""The stderr of the JVM a local SparkSession starts, without the JDK's incubator-module notice.

Spark 4's launcher puts ``--add-modules=jdk.incubator.vector`` on every driver's java command
(org.apache.spark.launcher.JavaModuleOptions, unconditionally, no setting turns it off) and the JDK
prints ``WARNING: Using incubator modules: jdk.incubator.vector`` whenever such a module is in the
boot layer (ModuleBootstrap, also unconditional: -Xlog, -XX:-PrintWarnings and log4j do not reach
it). The CLI promises one line on stderr for a failed run, so that notice is dropped on its way: the
JVM inherits a pipe as its stderr, and a thread copies the pipe to our own stderr minus that line.
Everything else the JVM writes (Spark logs at WIKILAKE_SPARK_LOG_LEVEL, crashes) still arrives.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

INCUBATOR_NOTICE = b"WARNING: Using incubator modules: "


def _forward(source: int, target: int) -> None:
    with open(source, "rb") as pipe, open(target, "wb", buffering=0) as stderr:
        for line in pipe:  # ends when every process holding the write end (the JVM) has exited
            if not line.startswith(INCUBATOR_NOTICE):
                stderr.write(line)


@contextmanager
def without_incubator_notice() -> Iterator[threading.Thread]:
    """Processes started inside the block get a filtered stderr (fd 2) for their whole life.

    The block's own writes to stderr pass through the same filter, in order. Yields the copying
    thread, which ends once the last process started in the block has exited.
    """
    read_end, write_end = os.pipe()
    target = os.dup(2)
    saved = os.dup(2)
    forwarder = threading.Thread(target=_forward, args=(read_end, target), daemon=True, name="jvm-stderr")
    forwarder.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield forwarder
    finally:
        # Our fd 2 is the real stderr again; only the children started in the block keep the pipe.
        os.dup2(saved, 2)
        os.close(saved)
