"""How hard wikilake may use the dumps site: at most ``MAX_DOWNLOADS`` downloads at once, the
retry settings of a download (the CLI's defaults, the ingest function's) and of the plan
function, and, from the same numbers, the longest the plan's calls can take: the stack gives the
function a timeout above that (stacks/pipeline.py), so a slow site fails the plan with the HTTP
error rather than a Lambda timeout. Pure: the stack, the functions and the CLI all import it.

urllib3's Retry (which wikilake_ingest.sources uses) sleeps nothing after a first failure and
``backoff * 2 ** (n - 1)`` seconds (at most ``backoff_max``) after the n-th failure in a row; every
attempt may wait ``connect_timeout`` to connect and ``read_timeout`` for each read. A server's
Retry-After header can ask for longer sleeps: not bounded here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Wikimedia's dumps site allows each client a few connections at once; more get throttled. The
# CLI's --parallel, the download engine and the pipeline's download slots stay at or under it.
MAX_DOWNLOADS = 3


@dataclass(frozen=True)
class HttpBudget:
    retries: int  # attempts after the first one
    backoff: float
    backoff_max: float
    connect_timeout: float
    read_timeout: float

    def sleeps(self) -> list[float]:
        """The sleeps between the attempts of one request that fails every time."""
        return [
            0.0 if n <= 1 else min(self.backoff * 2 ** (n - 1), self.backoff_max) for n in range(1, self.retries + 1)
        ]

    def request_seconds(self) -> float:
        """The longest one request can take: every attempt timing out, and the sleeps between them."""
        return (self.retries + 1) * (self.connect_timeout + self.read_timeout) + sum(self.sleeps())


# What the plan function asks of the dumps site: a checksum file, and for articles the dump's
# status file too (one wiki per run): at most two requests.
PLAN = HttpBudget(retries=5, backoff=2.0, backoff_max=120.0, connect_timeout=10.0, read_timeout=30.0)
PLAN_REQUESTS = 2
# A download (the ingest function) reads for longer between bytes; its 15 minutes bound it.
DOWNLOAD = HttpBudget(retries=5, backoff=2.0, backoff_max=120.0, connect_timeout=10.0, read_timeout=60.0)
# Cold start, S3 listing, building the step: well under a minute.
PLAN_OVERHEAD_SECONDS = 60
LAMBDA_MAX_TIMEOUT_SECONDS = 15 * 60


def plan_timeout_seconds(budget: HttpBudget = PLAN, requests: int = PLAN_REQUESTS) -> int:
    """The plan function's Lambda timeout: every request's worst case, plus the rest of its work."""
    seconds = math.ceil(requests * budget.request_seconds() + PLAN_OVERHEAD_SECONDS)
    if seconds > LAMBDA_MAX_TIMEOUT_SECONDS:
        raise ValueError(f"the plan's HTTP budget needs {seconds} s, more than Lambda's {LAMBDA_MAX_TIMEOUT_SECONDS} s")
    return seconds
