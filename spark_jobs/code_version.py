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
        path = importlib.util.find_spec(package).submodule_search_locations
        for module in sorted(info.name for info in pkgutil.iter_modules(path, f"{package}.")):
            source = importlib.util.find_spec(module).loader.get_source(module) or ""
            digest.update(f"{module}\n{source}\n".encode())
    return digest.hexdigest()[:DIGEST_CHARS]
