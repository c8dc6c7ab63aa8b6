"""Synthetic Wikimedia hourly pageview dumps: deterministic, realistic in shape, fast to write.

Shape of the output (what the jobs, tests and the benchmark rely on):
- files ``pageviews-YYYYMMDD-HH0000.gz``, lines ``domain_code page_title count_views 0``, single
  spaces, grouped by domain_code in sorted order like the real dumps, one line per page and hour;
- Zipf-like popularity: a fixed set of recurring pages, the most popular in every hour with many
  views, plus a long tail of pages mostly seen in a single hour with 1-2 views;
- a realistic mix of domain codes (desktop/mobile Wikipedias, wiktionary, wikidata, commons, ...)
  and titles (underscores, raw UTF-8, percent-encoded variants, ``-``);
- real titles where the lake has their articles: 3 in 5 of the most popular en.wikipedia pages
  (desktop and mobile, after the head pages) carry a namespace-0 title of the shipped articles
  sample (``data/samples/enwiki-pages-articles-sample.xml.bz2``) until its titles run out, so the
  join of pageviews to articles matches as it does on real dumps; their views follow the same
  Zipf ranks as every page. Without that file (an install with no samples) every title is made up;
- optionally rare malformed lines (``malformed_rate``), each kind the jobs must reject.

Same (seed, date, hour, lines_per_hour) -> byte-identical file (gzip mtime is fixed at 0).

    python -m wikilake.local.generators.pageviews --date 2024-03-15 --hours 0-23 \
        --lines-per-hour 1100000 --out lake/raw/pageviews/dt=2024-03-15
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import time
from dataclasses import dataclass
from datetime import date as Date
from functools import lru_cache
from pathlib import Path

import numpy as np

from wikilake.local.generators.article_titles import with_sample_titles
from wikilake.local.generators.domains import CODE_CUMULATIVE_SHARES, CODES, HEAD_PAGES, TITLE_KINDS
from wikilake.local.generators.titles import (
    distinct_indexes,
    recurring_titles,
    tail_titles,
    titles_by_kind,
    vocabulary,
)

FILE_NAME_FORMAT = "pageviews-{ymd}-{hour:02d}0000.gz"

# Each hour = recurring pages (a materialised universe of RECURRING_FACTOR x lines-per-hour pages
# with Zipf popularity: the head is in every hour, the rest now and then) + a long tail drawn from
# TAIL_SPACE x tail-lines virtual pages (built on the fly), mostly seen in one hour with 1-2 views.
RECURRING_FACTOR = 1.5
TAIL_SHARE = 0.4
TAIL_SPACE = 30
TOP_VIEWS = 250_000  # hourly views of the most popular page at the daily mean
LAST_RECURRING_VIEWS = 2.0  # ... and of the least popular recurring page
PRESENCE_EXPONENT = 0.9  # rank r is drawn into an hour with weight (r + 1) ** -PRESENCE_EXPONENT
VIEWS_NOISE_SIGMA = 0.5

MALFORMED_KINDS = ("three_fields", "five_fields", "non_numeric_views", "negative_views", "double_space", "empty_domain")


@dataclass(frozen=True)
class Universe:
    """The pages a day is drawn from. Recurring pages are indexed by popularity rank (0 = top)."""

    prefixes: np.ndarray  # object array of "domain_code page_title " strings, by rank
    base_views: np.ndarray  # float64 expected views an hour at the daily mean, by rank
    presence_keys: np.ndarray  # float64 weights for drawing the recurring pages of an hour
    vocabularies: dict[str, np.ndarray]  # title kind -> words (for the virtual tail)
    tail_space: int

    def __len__(self) -> int:
        return len(self.prefixes)


def file_name(day: Date, hour: int) -> str:
    return FILE_NAME_FORMAT.format(ymd=day.strftime("%Y%m%d"), hour=hour)


def parse_hours(text: str) -> tuple[int, ...]:
    """``"0-23"``, ``"5"`` or ``"0-5,12,20-23"`` -> sorted distinct hours; ValueError if malformed."""
    hours: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        lo, hi = int(first), int(last or first)
        if not 0 <= lo <= hi <= 23:
            raise ValueError(f"bad hour range {part.strip()!r}: use hours 0-23, e.g. 0-23 or 0-5,12")
        hours.update(range(lo, hi + 1))
    return tuple(sorted(hours))


@lru_cache(maxsize=4)
def build_universe(lines_per_hour: int, seed: int) -> Universe:
    """The recurring pages (HEAD_PAGES first) and vocabularies for ``lines_per_hour``-line hours.

    Titles are distinct by construction (see titles.vocabulary), so no deduplication pass is needed.
    """
    rng = np.random.default_rng([seed, lines_per_hour])
    vocabularies = {kind: vocabulary(kind, rng) for kind in TITLE_KINDS}
    size = max(len(HEAD_PAGES), math.ceil(lines_per_hour * RECURRING_FACTOR))
    code_index = rng.choice(len(CODES), size=size - len(HEAD_PAGES), p=np.diff(CODE_CUMULATIVE_SHARES, prepend=0.0))
    titles = titles_by_kind(
        code_index, lambda kind, mask: recurring_titles(kind, vocabularies[kind], int(mask.sum()), rng)
    )
    codes = np.concatenate([np.array([c for c, _ in HEAD_PAGES], dtype=object), CODES[code_index]])
    titles = with_sample_titles(
        codes, np.concatenate([np.array([t for _, t in HEAD_PAGES], dtype=object), titles]), seed
    )
    rank = np.arange(1, size + 1, dtype=np.float64)
    views_exponent = math.log(TOP_VIEWS / LAST_RECURRING_VIEWS) / math.log(size + 1)
    return Universe(
        prefixes=codes + " " + titles + " ",
        base_views=TOP_VIEWS * rank**-views_exponent,
        presence_keys=rank**-PRESENCE_EXPONENT,
        vocabularies=vocabularies,
        tail_space=TAIL_SPACE * max(1, int(lines_per_hour * TAIL_SHARE)),
    )


def _daily_cycle(hour: int) -> float:
    """Traffic relative to the daily mean: low around 04 UTC, high around 16-20 UTC."""
    return 1.0 + 0.35 * math.sin((hour - 10) / 24 * 2 * math.pi)


def _recurring_lines(universe: Universe, count: int, hour: int, rng: np.random.Generator):
    """(prefixes, views) of ``count`` recurring pages drawn by popularity."""
    # Weighted sampling without replacement (Efraimidis-Spirakis): the smallest Exp(1)/weight.
    keys = rng.exponential(size=len(universe)) / universe.presence_keys
    chosen = np.argpartition(keys, count - 1)[:count] if count < len(universe) else np.arange(len(universe))
    noise = rng.lognormal(0.0, VIEWS_NOISE_SIGMA, len(chosen))
    views = np.maximum(1, np.rint(universe.base_views[chosen] * _daily_cycle(hour) * noise))
    return universe.prefixes[chosen], views.astype(np.int64)


def _tail_lines(universe: Universe, count: int, rng: np.random.Generator):
    """(prefixes, views) of ``count`` distinct virtual tail pages (1-2 views each)."""
    ids = distinct_indexes(count, universe.tail_space, rng)
    # Fibonacci hashing: a page id maps to the same domain code in every hour.
    spread = (ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)
    code_index = np.searchsorted(CODE_CUMULATIVE_SHARES, spread / float(1 << 53), side="right")
    titles = titles_by_kind(
        code_index, lambda kind, mask: tail_titles(kind, universe.vocabularies[kind], ids[mask], rng)
    )
    views = 1 + (rng.random(count) < 0.15).astype(np.int64)
    return CODES[code_index] + " " + titles + " ", views


def _malformed_lines(universe: Universe, count: int, rng: np.random.Generator) -> list[str]:
    lines = []
    for i, rank in enumerate(rng.integers(0, len(universe), count).tolist()):
        code, title = universe.prefixes[rank].split(" ")[:2]
        lines.append(
            {
                "three_fields": f"{code} {title} 7\n",
                "five_fields": f"{code} {title} 7 0 extra\n",
                "non_numeric_views": f"{code} {title} n/a 0\n",
                "negative_views": f"{code} {title} -3 0\n",
                "double_space": f"{code}  {title} 2 0\n",
                "empty_domain": f" {title} 2 0\n",
            }[MALFORMED_KINDS[i % len(MALFORMED_KINDS)]]
        )
    return lines


def hour_lines(
    universe: Universe,
    day: Date,
    hour: int,
    lines_per_hour: int,
    *,
    seed: int = 0,
    malformed_rate: float = 0.0,
) -> str:
    """The text of one hourly file: ``lines_per_hour`` valid lines (+ malformed ones if asked)."""
    rng = np.random.default_rng([seed, day.toordinal(), hour])
    tail = int(lines_per_hour * TAIL_SHARE)
    recurring = _recurring_lines(universe, lines_per_hour - tail, hour, rng)
    prefixes, views = (np.concatenate(parts) for parts in zip(recurring, _tail_lines(universe, tail, rng)))
    # "code title " strings sort as (code, title): the space sorts before any code or title
    # character. Sorted titles share prefixes, which gzip compresses as it does the real dumps.
    order = np.argsort(prefixes, kind="stable")
    lines = [f"{prefix}{v} 0\n" for prefix, v in zip(prefixes[order].tolist(), views[order].tolist())]
    if malformed_rate > 0:
        bad = _malformed_lines(universe, int(rng.binomial(len(lines), malformed_rate)), rng)
        for position, line in zip(rng.integers(0, len(lines) + 1, len(bad)).tolist(), bad):
            lines.insert(position, line)
    return "".join(lines)


def write_hour(path: Path, text: str, compresslevel: int = 1) -> None:
    """gzip ``text`` to ``path`` atomically (temp file + rename), reproducibly (mtime 0)."""
    tmp = path.with_name(path.name + ".tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", filename="", compresslevel=compresslevel, mtime=0) as gz,
    ):
        gz.write(text.encode("utf-8"))
    os.replace(tmp, path)


def generate_day(
    day: Date,
    out_dir: Path | str,
    *,
    hours: tuple[int, ...] = tuple(range(24)),
    lines_per_hour: int = 10_000,
    seed: int = 0,
    malformed_rate: float = 0.0,
    compresslevel: int = 1,
    on_hour=None,
) -> list[Path]:
    """Write one file per hour of ``day`` into ``out_dir``; returns their paths.

    ``on_hour(path)`` is called after each file (progress reporting).
    """
    if lines_per_hour < 1:
        raise ValueError("lines_per_hour must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    universe = build_universe(lines_per_hour, seed)
    paths = []
    for hour in hours:
        path = out / file_name(day, hour)
        text = hour_lines(universe, day, hour, lines_per_hour, seed=seed, malformed_rate=malformed_rate)
        write_hour(path, text, compresslevel)
        paths.append(path)
        if on_hour is not None:
            on_hour(path)
    return paths


def _hours_arg(text: str) -> tuple[int, ...]:
    try:
        return parse_hours(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _date_arg(text: str) -> Date:
    try:
        return Date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r}: use YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wikilake.local.generators.pageviews",
        description="Write synthetic hourly pageview dumps (pageviews-YYYYMMDD-HH0000.gz).",
    )
    parser.add_argument("--date", required=True, type=_date_arg, help="YYYY-MM-DD")
    parser.add_argument("--hours", default="0-23", type=_hours_arg, help="e.g. 0-23 or 0-5,12")
    parser.add_argument("--lines-per-hour", type=int, default=10_000)
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--malformed-rate", type=float, default=0.0, help="extra malformed lines per valid line (e.g. 1e-5); default 0"
    )
    parser.add_argument(
        "--compresslevel", type=int, default=1, choices=range(1, 10), metavar="1-9", help="gzip level (default 1: fast)"
    )
    args = parser.parse_args(argv)

    from rich.progress import Progress

    started = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task("generating pageviews", total=len(args.hours))
        paths = generate_day(
            args.date,
            args.out,
            hours=args.hours,
            lines_per_hour=args.lines_per_hour,
            seed=args.seed,
            malformed_rate=args.malformed_rate,
            compresslevel=args.compresslevel,
            on_hour=lambda _path: progress.advance(task),
        )
    seconds = time.perf_counter() - started
    lines = len(paths) * args.lines_per_hour
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} files, {lines:,} lines, {size / 1e6:.1f} MB to {args.out} "
        f"in {seconds:.1f}s ({lines / seconds:,.0f} lines/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
