"""Per-module mutation scores from mutmut's results (mutants/*.meta), for `make mutation`.

Score = mutants the tests caught (killed or timed out) / all mutants, equivalent ones included.
Exits 1 when a module of [tool.mutmut] only_mutate scores below --minimum or was not fully run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import tomllib
from mutmut.stats import status_by_exit_code

CAUGHT = {"killed", "timeout", "caught by type check", "segfault"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minimum", type=float, default=85.0, help="lowest passing score, %%")
    args = parser.parse_args()
    modules = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]
    failed = False
    print(f"{'module':32} {'mutants':>7} {'caught':>7} {'survived':>8} {'score':>7}")
    for module in modules:
        meta = Path("mutants") / f"{module}.meta"
        if not meta.is_file():
            print(f"{module:32} not mutated: run `mutmut run` first")
            failed = True
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        statuses = Counter(status_by_exit_code[code] for code in codes)
        caught = sum(statuses[s] for s in CAUGHT)
        total = sum(statuses.values())
        score = 100.0 * caught / total if total else 100.0
        unchecked = statuses["not checked"]
        print(
            f"{module:32} {total:7} {caught:7} {total - caught:8} {score:6.1f}%"
            + (f"  ({unchecked} not checked)" if unchecked else "")
        )
        failed |= score < args.minimum or unchecked > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
