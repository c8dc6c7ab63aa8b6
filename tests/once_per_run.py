"""Session fixtures' builds made once per `make test` run, not once per pytest-xdist worker."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Callable


def built_once(tmp_path_factory, worker_id: str, name: str, build: Callable[[Path], object]) -> tuple[Path, object]:
    """``build(folder)`` run once per run of the suite: the first worker to ask runs it in the
    run's shared temporary folder while holding a lock and keeps what it returned (JSON); the
    other finds it built and reads that. Alone, a session builds in a folder of its own.
    Returns the folder and what ``build`` returned. What is built there is read, never changed."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp(name)
        return folder, build(folder)
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, one per worker below it
    folder, result = shared / name, shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            folder.mkdir(exist_ok=True)
            result.write_text(json.dumps(build(folder)))
    return folder, json.loads(result.read_text())
