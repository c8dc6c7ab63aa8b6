"""The version of the job code a run ran: a digest of the sources of spark_jobs and the
wikilake_core it imports, the same whether they run from the project folder or from the zip that
spark-submit gets (--py-files), so two runs with equal digests ran the same code."""

from __future__ import annotations

import hashlib
import importlib.util
import pkgutil
from functools import lru_cache

PACKAGES = ("spark_jobs", "wikilake_core")
DIGEST_CHARS = 12


@lru_cache(maxsize=1)
def job_code_version() -> str:
    digest = hashlib.sha256()
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError(f"{package} is not an importable package")
        for module in sorted(
            info.name for info in pkgutil.iter_modules(spec.submodule_search_locations, f"{package}.")
        ):
            digest.update(f"{module}\n{_source(module)}\n".encode())
    return digest.hexdigest()[:DIGEST_CHARS]


def _source(module: str) -> str:
    """A module's source, from a folder or a zip (both loaders can read it back)."""
    spec = importlib.util.find_spec(module)
    get_source = getattr(spec.loader, "get_source", None) if spec else None
    if get_source is None:
        raise ImportError(f"cannot read the source of {module}")
    return get_source(module) or ""
