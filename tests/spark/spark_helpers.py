"""Inputs and constants shared by the Spark tests (a plain module: conftest files are not importable)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from wikilake.local.generators import pageviews as generator
from wikilake_core import datasets, layout

EDITS_SAMPLE = datasets.get("edits").sample
EDITS_DT = datasets.get("edits").sample_dt
PAGEVIEWS_DT = datasets.get("pageviews").sample_dt
ARTICLES_SAMPLE = datasets.get("articles").sample
ARTICLES_DT = datasets.get("articles").sample_dt

# Hand-written lines for hour 3: every tricky domain code and title, and every kind of bad line.
TRICKY_LINES = [
    "en Main_Page 100 0",
    "en.m Main_Page 250 0",
    "en.m.d dog 7 0",
    "de.d Hund 3 0",
    "commons.m File:Cat.jpg 40 0",
    "commons.m.m File:Cat.jpg 9 0",
    "meta.m Main_Page 2 0",
    "www.wd Q42 11 0",
    "m.wd Q42 5 0",
    "www.w Manual:Hooks 4 0",
    "m.w Manual:Hooks 1 0",
    "fr.voy Paris 6 0",
    "en.m.voy Paris 2 0",
    "en.zero Main_Page 1 0",
    "en - 77 0",
    "ja 東京 20 0",
    "ja %E6%9D%B1%E4%BA%AC 8 0",
    "en Caf%C3%A9_(film) 3 0",
    "en Café_(film) 4 0",
    "zh-min-nan Tâi-oân 2 0",
    "en.wd Q1 5 0",  # unknown: wikidata lives on www/m only
    "xx.yy.zz Foo 6 0",  # unknown
    "www Foo 1 0",  # unknown
    "EN Foo 2 0",  # unknown (codes are lower case)
    "en 0_views_is_fine 0 0",
    "en 007 0070 0",  # leading zeros are still a non-negative integer
    "",  # blank lines are ignored
    "   ",
    "en Three_fields 12",  # wrong field count
    "en Five fields 12 0",  # wrong field count
    "en  Double_space 12 0",  # wrong field count
    " Empty_domain 12 0",  # empty domain code
    "en Not_a_number abc 0",  # bad count_views
    "en Negative -5 0",  # bad count_views
    "en Plus_sign +5 0",  # bad count_views
    "en Decimal 1.5 0",  # bad count_views
    "en Huge 1234567890123456789 0",  # bad count_views (more than 18 digits)
]


@dataclass(frozen=True)
class JobRun:
    lake: Path
    manifest: dict
    inputs: tuple[Path, ...]


def write_gz(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def pageviews_input(folder: Path, dt: str = PAGEVIEWS_DT) -> tuple[Path, ...]:
    """Hours 0-2 generated (with malformed lines), hour 3 hand-written, hour 23 generated."""
    day = date.fromisoformat(dt)
    files = generator.generate_day(day, folder, hours=(0, 1, 2, 23), lines_per_hour=400, seed=3, malformed_rate=0.01)
    tricky = write_gz(folder / generator.file_name(day, 3), TRICKY_LINES)
    return tuple(sorted([*files, tricky]))


def latest_run_id(lake: Path, dataset: str, dt: str) -> str:
    """The run id of the day's newest run manifest: the run a test just made (JOB.run writes a
    run's folders and manifest; publishing it is the local runner's or the record function's)."""
    manifests = Path(layout.run_manifest_dir(str(lake), dataset, dt)).glob(f"{layout.RUN_KEY}=*/{layout.MANIFEST_NAME}")
    newest = max(manifests, key=lambda path: path.stat().st_mtime_ns)
    return newest.parent.name.split("=", 1)[1]


def run_table_dir(lake: Path, table: str, dt: str) -> str:
    """The newest run's folder of a table's day."""
    return layout.table_run_dir(str(lake), table, dt, latest_run_id(lake, datasets.of_table(table).name, dt))


def run_rejected_dir(lake: Path, dataset: str, dt: str) -> str:
    return layout.rejected_run_dir(str(lake), dataset, dt, latest_run_id(lake, dataset, dt))


def run_manifest(lake: Path, dataset: str, dt: str) -> Path:
    return Path(layout.run_manifest_path(str(lake), dataset, dt, latest_run_id(lake, dataset, dt)))
