"""What the benchmark ran on: cores, memory, CPU model, load, and the versions of every tool timed."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path


def cpu_model() -> str:
    text = Path("/proc/cpuinfo").read_text()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def memory_bytes() -> int:
    match = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unavailable"


def versions() -> dict[str, str]:
    import duckdb
    import pyspark

    return {
        "python": platform.python_version(),
        "java": _first_line(["java", "-version"]),
        "pyspark": pyspark.__version__,
        "duckdb": duckdb.__version__,
        "gzip": _first_line(["gzip", "--version"]),
    }


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def describe() -> dict:
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory_bytes(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "platform": sys.platform,
        "versions": versions(),
    }
