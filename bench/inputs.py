"""The benchmark's inputs: recipes that generate them deterministically, cached under bench/cache/.

- **edits-100x**: the real wikiticker sample replicated 100 times into 10 gzip files (10 copies
  each, ~3.9M events). Scaling adds files of the same size (2x = 20 files, 4x = 40 files), as a
  busier day of edit dumps would.
- **articles-1gb**: one bzip2 file of ~1 GB of XML, the real enwiki sample's 206 pages repeated
  170 times, each copy with new page ids (a single big file, as enwiki's 22 GB pages-articles
  dump is). Scaling repeats the pages more times, in the same one file.
- **pageviews-day**: 24 hourly files of ~1.1M lines made by ``wikilake.local.generators.pageviews``.
  A day always has 24 hours, so scaling makes each hour larger (2x = 2.2M lines an hour), as a
  real day (tens of millions of lines an hour at peak) is.

A cached input lives in a folder named by a digest of its recipe (every generator parameter plus
the generator's source), so changing either regenerates it; ``input.json`` is written last and
marks the folder complete.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import inspect
import json
import multiprocessing
import re
import shutil
import zlib
from dataclasses import asdict, dataclass, replace
from datetime import date as Date
from pathlib import Path
from typing import Callable, Protocol

from wikilake_core import datasets

EDITS = datasets.get("edits")
ARTICLES = datasets.get("articles")
# The bench's pageviews day is generated (bigger than the sample), for the sample's dt.
PAGEVIEWS_DATE = datasets.get("pageviews").sample_dt
MARKER = "input.json"
# gzip's default level, the trade-off the Wikimedia dumps are published with.
GZIP_LEVEL = 6

OnStep = Callable[[], None]


@dataclass(frozen=True)
class CachedInput:
    """A generated input on disk."""

    name: str  # e.g. "pageviews-day"
    dataset: str  # the job that reads it: "edits" or "pageviews"
    scale: int
    dt: str
    directory: Path
    files: tuple[Path, ...]
    records: int  # non-blank input lines (the job's input_records)
    gz_bytes: int

    @property
    def glob(self) -> str:
        """The input files by their extension (``*.gz``, ``*.xml.bz2``): not the marker."""
        return str(self.directory / ("*" + "".join(self.files[0].suffixes[-2:])))

    @property
    def label(self) -> str:
        return f"{self.name} {self.scale}x"


class Recipe(Protocol):
    name: str
    dataset: str
    dt: str

    def params(self) -> dict: ...
    def scaled(self, factor: int) -> Recipe: ...
    def steps(self) -> int: ...
    def write(self, out_dir: Path, on_step: OnStep) -> list[tuple[Path, int]]:
        """Write the files; returns each path with its record count."""


def count_records(path: Path) -> int:
    """Non-blank lines of a gzip file: what the jobs count as ``input_records``."""
    with gzip.open(path, "rb") as stream:
        return sum(1 for line in stream.read().split(b"\n") if line.strip())


@dataclass(frozen=True)
class EditsRecipe:
    """``files`` gzip files, each the sample's events ``copies_per_file`` times over."""

    copies_per_file: int = 10
    files: int = 10
    sample_events: int | None = None  # only the sample's first N events (tests)
    scale: int = 1
    name: str = "edits-100x"
    dataset: str = "edits"
    dt: str = EDITS.sample_dt

    def params(self) -> dict:
        sample_digest = hashlib.sha256(EDITS.sample.read_bytes()).hexdigest()[:16]
        return {**asdict(self), "sample_sha256": sample_digest, "gzip_level": GZIP_LEVEL}

    def scaled(self, factor: int) -> EditsRecipe:
        return replace(self, files=self.files * factor, scale=self.scale * factor)

    def steps(self) -> int:
        return self.files

    def write(self, out_dir: Path, on_step: OnStep) -> list[tuple[Path, int]]:
        with gzip.open(EDITS.sample, "rb") as sample:
            events = [line for line in sample.read().splitlines(keepends=True) if line.strip()]
        if self.sample_events is not None:
            events = events[: self.sample_events]
        # Every file has the same content: compress it once, then copy it.
        body = zlib.compress(b"".join(events) * self.copies_per_file, GZIP_LEVEL, wbits=31)
        first = out_dir / "edits-part-000.json.gz"
        first.write_bytes(body)
        on_step()
        records = len(events) * self.copies_per_file
        written = [(first, records)]
        for index in range(1, self.files):
            path = out_dir / f"edits-part-{index:03d}.json.gz"
            shutil.copyfile(first, path)
            written.append((path, records))
            on_step()
        return written


def _write_hour(args: tuple) -> tuple[Path, int]:
    from wikilake.local.generators import pageviews

    day, out_dir, hour, kwargs = args
    path = pageviews.generate_day(day, out_dir, hours=(hour,), **kwargs)[0]
    return path, count_records(path)


@dataclass(frozen=True)
class PageviewsRecipe:
    """One day of hourly files from the project's pageviews generator."""

    lines_per_hour: int = 1_100_000
    hours: tuple[int, ...] = datasets.DAY_HOURS
    seed: int = 0
    # Real dumps carry occasional malformed lines; a few per day exercise the rejection path.
    malformed_rate: float = 1e-6
    workers: int = 2
    scale: int = 1
    name: str = "pageviews-day"
    dataset: str = "pageviews"
    dt: str = PAGEVIEWS_DATE

    def params(self) -> dict:
        from wikilake.local.generators import pageviews

        source = inspect.getsource(pageviews).encode()
        params = {k: v for k, v in asdict(self).items() if k != "workers"}
        return {**params, "gzip_level": GZIP_LEVEL, "generator_sha256": hashlib.sha256(source).hexdigest()[:16]}

    def scaled(self, factor: int) -> PageviewsRecipe:
        return replace(self, lines_per_hour=self.lines_per_hour * factor, scale=self.scale * factor)

    def steps(self) -> int:
        return len(self.hours)

    def write(self, out_dir: Path, on_step: OnStep) -> list[tuple[Path, int]]:
        day = Date.fromisoformat(self.dt)
        kwargs = {
            "lines_per_hour": self.lines_per_hour,
            "seed": self.seed,
            "malformed_rate": self.malformed_rate,
            "compresslevel": GZIP_LEVEL,
        }
        # The first hour builds the generator's page universe (cached in this process); forked
        # workers inherit it instead of each building their own.
        written = [_write_hour((day, out_dir, self.hours[0], kwargs))]
        on_step()
        rest = [(day, out_dir, hour, kwargs) for hour in self.hours[1:]]
        if self.workers > 1 and rest:
            with multiprocessing.get_context("fork").Pool(self.workers) as pool:
                for result in pool.imap(_write_hour, rest):
                    written.append(result)
                    on_step()
        else:
            for job in rest:
                written.append(_write_hour(job))
                on_step()
        return written


@dataclass(frozen=True)
class ArticlesRecipe:
    """One bzip2 file: the articles sample's siteinfo, then its pages ``copies`` times, copy c
    with page ids shifted by c x 10^9 (the sample's ids are below 10^8), then </mediawiki>."""

    copies: int = 170
    scale: int = 1
    name: str = "articles-1gb"
    dataset: str = "articles"
    dt: str = ARTICLES.sample_dt

    def params(self) -> dict:
        sample_digest = hashlib.sha256(ARTICLES.sample.read_bytes()).hexdigest()[:16]
        return {**asdict(self), "sample_sha256": sample_digest, "bzip2_level": 9}

    def scaled(self, factor: int) -> ArticlesRecipe:
        return replace(self, copies=self.copies * factor, scale=self.scale * factor)

    def steps(self) -> int:
        return self.copies

    def write(self, out_dir: Path, on_step: OnStep) -> list[tuple[Path, int]]:
        with bz2.open(ARTICLES.sample, "rt", encoding="utf-8") as f:
            xml = f.read()
        start, end = xml.index("  <page>"), xml.rindex("</mediawiki>")
        pages = xml[start:end]
        page_id = re.compile(r"(</ns>\s*<id>)(\d+)(</id>)")
        path = out_dir / f"enwiki-{self.dt.replace('-', '')}-pages-articles.xml.bz2"
        compressor = bz2.BZ2Compressor(9)
        with path.open("wb") as out:
            out.write(compressor.compress(xml[:start].encode()))
            for copy in range(self.copies):
                shifted = page_id.sub(lambda m, copy=copy: f"{m[1]}{int(m[2]) + copy * 10**9}{m[3]}", pages)
                out.write(compressor.compress(shifted.encode()))
                on_step()
            out.write(compressor.compress(xml[end:].encode()))
            out.write(compressor.flush())
        return [(path, pages.count("<page>") * self.copies)]


@dataclass(frozen=True)
class SampleRecipe:
    """The dataset's shipped sample, copied as it is: the job's fixed cost (a small wiki's dump is
    nothing else). One size only: ``scaled`` keeps it (the harness runs it at 1x)."""

    dataset: str
    scale: int = 1

    @property
    def name(self) -> str:
        return f"{self.dataset}-sample"

    @property
    def dt(self) -> str:
        return datasets.get(self.dataset).sample_dt

    fixed_size = True

    def params(self) -> dict:
        sample = datasets.get(self.dataset).sample
        return {"dataset": self.dataset, "sample_sha256": hashlib.sha256(sample.read_bytes()).hexdigest()[:16]}

    def scaled(self, factor: int) -> SampleRecipe:
        return self

    def steps(self) -> int:
        return 1

    def write(self, out_dir: Path, on_step: OnStep) -> list[tuple[Path, int]]:
        sample = datasets.get(self.dataset).sample
        path = out_dir / sample.name
        shutil.copyfile(sample, path)
        on_step()
        with bz2.open(sample, "rt", encoding="utf-8") as f:
            return [(path, f.read().count("<page>"))]


# dataset -> how its benchmark input is made (a dataset without one is not benchmarked yet).
RECIPES: dict[str, Recipe] = {recipe.dataset: recipe for recipe in (EditsRecipe(), PageviewsRecipe(), ArticlesRecipe())}
# dataset -> inputs timed at one size only, beside the scaled one: the job's fixed cost.
FIXED_SIZE_RECIPES: dict[str, tuple[Recipe, ...]] = {"articles": (SampleRecipe("articles"),)}


def recipes_for(names: list[str], articles_copies: int | None = None) -> tuple[Recipe, ...]:
    """The recipes of the datasets ``names`` (their fixed-size inputs first), with the articles
    input resized to ``articles_copies`` copies of the sample if given (a slower machine)."""
    found: list[Recipe] = []
    for name in names:
        found += FIXED_SIZE_RECIPES.get(name, ())
        recipe = RECIPES[name]
        if articles_copies is not None and isinstance(recipe, ArticlesRecipe):
            recipe = replace(recipe, copies=articles_copies, name=f"articles-{articles_copies}x-sample")
        found.append(recipe)
    return tuple(found)


def _digest(params: dict) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]


def cache_dir(recipe: Recipe, cache_root: Path) -> Path:
    return cache_root / "inputs" / f"{recipe.name}-{recipe.scale}x-{_digest(recipe.params())}"


def load_cached(recipe: Recipe, cache_root: Path) -> CachedInput | None:
    directory = cache_dir(recipe, cache_root)
    marker = directory / MARKER
    if not marker.exists():
        return None
    meta = json.loads(marker.read_text())
    files = tuple(directory / name for name in meta["files"])
    if not all(path.exists() for path in files):
        return None
    return CachedInput(
        recipe.name, recipe.dataset, recipe.scale, recipe.dt, directory, files, meta["records"], meta["gz_bytes"]
    )


def materialize(recipe: Recipe, cache_root: Path, on_step: OnStep = lambda: None) -> CachedInput:
    """The cached input for ``recipe``, generating it first if needed."""
    cached = load_cached(recipe, cache_root)
    if cached is not None:
        return cached
    directory = cache_dir(recipe, cache_root)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    written = recipe.write(directory, on_step)
    meta = {
        "recipe": recipe.params(),
        "files": [path.name for path, _ in written],
        "records": sum(records for _, records in written),
        "gz_bytes": sum(path.stat().st_size for path, _ in written),
    }
    (directory / MARKER).write_text(json.dumps(meta, indent=2))
    return load_cached(recipe, cache_root)
