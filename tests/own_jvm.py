"""How tests start a JVM of their own (a `wikilake local run` or a bench spark-submit) quickly."""

from __future__ import annotations

import os

# The JIT stopped at its first tier: a run of a sample in a JVM of its own ends about a third
# sooner (it compiles less); the shared in-process session, which runs many jobs, gains nothing.
QUICK_START_JVM = "-XX:TieredStopAtLevel=1"


def own_process_env() -> dict[str, str]:
    """The environment for a `wikilake local run` subprocess: this one, its JVM started quick."""
    return {**os.environ, "WIKILAKE_DRIVER_JAVA_OPTIONS": QUICK_START_JVM}


# The same for the bench's spark-submit runs (what `wikilake bench --conf` passes).
QUICK_START_SPARK_CONF = {"spark.driver.extraJavaOptions": QUICK_START_JVM}
