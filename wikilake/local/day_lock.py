"""One writer per (dataset, dt) on a local lake: a lock file in the day's manifest folder, holding
the writer's host, pid and run id, created whole and atomically (written under a private
O_CREAT|O_EXCL name, then hard-linked to the lock's name, which fails if it exists).

A lock whose writer is gone (same host, pid no longer alive: killed, crashed) is stale: the next
writer breaks it by renaming it aside and checking that what it moved is the stale lock it read
(so two writers breaking the same stale lock cannot both win). A lock of another host is never
judged stale (its pid means nothing here): remove it by hand, as the error says.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

from wikilake_core import layout
from wikilake_core.errors import WikilakeError


class DayBusy(WikilakeError):
    """Another writer holds the day."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _holder_text(run_id: str) -> str:
    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "run_id": run_id,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _is_stale(text: str) -> bool:
    try:
        holder = json.loads(text)
        return holder["host"] == socket.gethostname() and not _alive(int(holder["pid"]))
    except (ValueError, KeyError, TypeError):
        return False  # unreadable: a writer may be between create and write; never break it


def _describe(text: str | None, path: Path) -> str:
    try:
        holder = json.loads(text or "")
        return f"run {holder['run_id']} (pid {holder['pid']} on {holder['host']}, since {holder['since']})"
    except (ValueError, KeyError, TypeError):
        return f"another writer (lock {path})"


def _create(path: Path, text: str) -> bool:
    """Create the lock whole: written under a private name (O_CREAT|O_EXCL), then hard-linked to
    the lock's name, which fails if it exists; a reader never sees a lock without its holder."""
    private = path.with_name(f"{path.name}.{os.getpid()}.new")
    descriptor = os.open(private, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        with os.fdopen(descriptor, "w") as lock:
            lock.write(text)
        os.link(private, path)
    except FileExistsError:
        return False
    finally:
        private.unlink()
    return True


def _break_stale(path: Path, stale: str) -> None:
    """Move the stale lock aside; if what moved is not the lock judged stale (another writer broke
    it and took the day meanwhile), put that one back."""
    aside = path.with_name(f"{path.name}.stale-{os.getpid()}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if aside.read_text() != stale:
        with suppress(FileExistsError):
            os.link(aside, path)
    aside.unlink()


def acquire(lake: str | Path, dataset: str, dt: str, run_id: str) -> Path:
    """Take the day's lock for ``run_id``; DayBusy naming the holder if another live writer has it."""
    path = Path(layout.day_lock_path(str(lake), dataset, dt))
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = _holder_text(run_id)
    for _ in range(3):  # at most: create, break a stale lock, create again
        if _create(path, mine):
            return path
        held = _read(path)
        if held is None:
            continue
        if not _is_stale(held):
            raise DayBusy(
                f"{dataset} dt={dt} is being written by {_describe(held, path)}; wait for it to end "
                f"(a lock left by a writer on another host: remove {path})"
            )
        _break_stale(path, held)
    raise DayBusy(f"{dataset} dt={dt}: could not take the lock {path}; another writer keeps taking it")


def release(path: Path, run_id: str) -> None:
    """Remove the lock if it is still this run's (a broken and retaken lock is left alone)."""
    held = _read(path)
    try:
        if held is not None and json.loads(held).get("run_id") == run_id:
            path.unlink()
    except (ValueError, FileNotFoundError):
        pass


@contextmanager
def holding(lake: str | Path, dataset: str, dt: str, run_id: str) -> Iterator[Path]:
    """Hold the day while the block runs; the folders the lock needed and the run left empty (a
    run refused before writing anything) go with it."""
    parent = Path(layout.day_lock_path(str(lake), dataset, dt)).parent
    created = [folder for folder in (parent, *parent.parents) if not folder.exists()]  # deepest first
    path = acquire(lake, dataset, dt, run_id)
    try:
        yield path
    finally:
        release(path, run_id)
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # not empty: the run wrote there
                break
