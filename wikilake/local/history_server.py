"""Spark's History Server over a local run's event log: the one pip's pyspark ships
(``<pyspark>/bin/spark-class org.apache.spark.deploy.history.HistoryServer``, what its
``sbin/start-history-server.sh`` starts as a daemon), run in the foreground on loopback so it
ends with the command; it needs only the Java that local Spark runs on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from wikilake_core.errors import WikilakeError

HISTORY_SERVER_CLASS = "org.apache.spark.deploy.history.HistoryServer"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 180  # a JVM start and the log's first scan, on a busy machine


@dataclass
class HistoryServer:
    process: subprocess.Popen
    port: int
    log: Path  # the server's own output

    def url(self, application_id: str | None = None) -> str:
        return f"http://{HOST}:{self.port}/" + (f"history/{application_id}/" if application_id else "")

    def applications(self) -> list[dict] | None:
        """The applications the server lists (its REST API), None while it does not answer."""
        try:
            with urllib.request.urlopen(self.url() + "api/v1/applications", timeout=5) as answer:
                return json.loads(answer.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            return None

    def wait(self) -> None:
        """Serve until interrupted (Ctrl-C, or a TERM signal); then stop and remove the server's log."""
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stop()
            self.log.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def spark_home() -> Path:
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start(log_dir: Path, port: int | None = None, timeout: float = START_TIMEOUT_SECONDS) -> HistoryServer:
    """The server over ``log_dir``, once it lists the application logged there; WikilakeError if
    it stops or lists nothing in ``timeout`` seconds."""
    home, port = spark_home(), port or free_port()
    # file:<path>, not a percent-encoded URI: Hadoop does not decode one (run=... would be run%3D...).
    options = f"-Dspark.history.fs.logDirectory=file:{log_dir.resolve()} -Dspark.history.ui.port={port}"
    # SPARK_LOCAL_IP: the address Spark's web UIs bind to (all interfaces otherwise).
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST, "SPARK_HISTORY_OPTS": options}
    log = Path(tempfile.mkstemp(prefix="wikilake-history-server-", suffix=".log")[1])
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(home / "bin" / "spark-class"), HISTORY_SERVER_CLASS], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = HistoryServer(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WikilakeError(f"the Spark History Server stopped (exit {process.returncode}): {_last_line(log)}")
        if server.applications():
            return server
        time.sleep(1)
    server.stop()
    raise WikilakeError(f"the Spark History Server listed nothing in {timeout:.0f} s (its log: {log})")


def _last_line(log: Path) -> str:
    """The last line of the server's output that is not part of a stack trace."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip() and not line[0].isspace()]
    return lines[-1] if lines else f"no output (see {log})"
