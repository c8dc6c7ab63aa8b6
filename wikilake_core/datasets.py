"""The dataset registry: what each dataset is, which tables its job writes, where its dumps are
published and how a dt maps to dump files, the sample the project ships, and its options.

Adding a dataset starts here (one entry); its job module is ``spark_jobs/<name>.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from wikilake_core import quality
from wikilake_core.dates import to_day
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import SAMPLES_DIR


@dataclass(frozen=True)
class JobOption:
    """A job's own command-line option (``--country``) with its default, the same for
    spark-submit, ``wikilake local run`` and ``wikilake run``."""

    flag: str
    default: str
    help: str

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class DumpSite:
    """Where a dt's dump files are published. Templates take {year}, {month}, {ymd} (YYYYMMDD)
    and the dataset's own selection fields ({hour}, {wiki})."""

    base_url: str
    folder: str
    file_name: str
    checksums: str
    # A JSON file in the folder saying which dump jobs are done and which files each wrote
    # (Wikimedia's dumpstatus.json): ingest refuses files of a job that is not done.
    status_file: str | None = None
    # (ingest option, template field): the option's values pick the files, one per value.
    selectors: tuple[tuple[str, str], ...] = ()
    # A regular expression template (same fields) for the numbered parts that make up the whole
    # file, listed from the status file when ingest is asked for parts (--parts).
    parts: str | None = None

    def _fields(self, dt: str, params: dict) -> dict:
        day = to_day(dt)
        return {"year": f"{day:%Y}", "month": f"{day:%m}", "ymd": f"{day:%Y%m%d}", **params}

    def folder_url(self, dt: str, *, mirror: str | None = None, **params) -> str:
        base = (mirror or self.base_url).rstrip("/")
        return f"{base}/{self.folder.format(**self._fields(dt, params))}"

    def file(self, dt: str, **params) -> str:
        return self.file_name.format(**self._fields(dt, params))

    def checksums_file(self, dt: str, **params) -> str:
        return self.checksums.format(**self._fields(dt, params))

    def parts_pattern(self, dt: str, **params) -> str:
        if self.parts is None:  # --parts is an ingest option only of datasets published in parts
            raise WikilakeError(f"{self.file_name} is published whole, not in numbered parts")
        return self.parts.format(**self._fields(dt, params))

    def file_names(self, dt: str, options: dict) -> list[str]:
        """The dump files of ``dt`` that the ingest ``options`` select (e.g. hours -> hourly files)."""
        fields = [field for _, field in self.selectors]
        values = [tuple(options[option]) for option, _ in self.selectors]
        return [self.file(dt, **dict(zip(fields, combination))) for combination in itertools.product(*values)]


@dataclass(frozen=True)
class JobSize:
    """Driver and executor sizes of a dataset's job on EMR Serverless, where nothing else decides
    them (on EMR on EC2 the instance types do). Memory is the JVM heap in GB; Spark adds its 10%
    overhead on top, and the worker is billed for both. Derived from the bench's measured
    throughput and memory (docs/runtimes.md, "Sizes"): every figure is a choice made there."""

    driver_vcpu: int
    driver_memory_gb: int
    executor_vcpu: int
    executor_memory_gb: int
    # Dynamic allocation's ceiling: the job's useful parallelism (one task per gzip file in the
    # scan) divided by the executor's cores.
    max_executors: int

    OVERHEAD = 0.10  # spark.{driver,executor}.memoryOverheadFactor's default
    MIN_OVERHEAD_GB = 0.384

    @classmethod
    def worker_memory_gb(cls, heap_gb: int) -> float:
        return heap_gb + max(heap_gb * cls.OVERHEAD, cls.MIN_OVERHEAD_GB)

    @property
    def peak_vcpu(self) -> int:
        return self.driver_vcpu + self.max_executors * self.executor_vcpu

    @property
    def peak_memory_gb(self) -> float:
        return self.worker_memory_gb(self.driver_memory_gb) + self.max_executors * self.worker_memory_gb(
            self.executor_memory_gb
        )

    @property
    def smallest_vcpu(self) -> int:
        """Driver and one executor: less than this and the job cannot start."""
        return self.driver_vcpu + self.executor_vcpu

    @property
    def smallest_memory_gb(self) -> float:
        return self.worker_memory_gb(self.driver_memory_gb) + self.worker_memory_gb(self.executor_memory_gb)


@dataclass(frozen=True)
class Throughput:
    """How fast the dataset's job gets through its input: bytes as stored under raw/ (compressed)
    per second of one vCPU's work, measured by the bench (``make bench``). The pipeline sizes each
    run from it (wikilake_core/run_sizing.py); ``source`` says where the figure comes from."""

    bytes_per_vcpu_second: float
    source: str


# The hours of a day, one dump file each, for a dataset published hourly (pageviews).
DAY_HOURS: tuple[int, ...] = tuple(range(24))

# `wikilake ingest` options a dataset may take, with their defaults (None: not given).
INGEST_OPTION_DEFAULTS: dict[str, object] = {
    "hours": DAY_HOURS,
    "wiki": ("enwiki",),
    "parts": False,
    "mirror": None,
    "source": None,
    "md5": None,
}


@dataclass(frozen=True)
class Dataset:
    name: str
    summary: str
    tables: tuple[str, ...]
    # File names the job accepts under raw/<name>/dt=.../ (a regular expression, matched whole).
    raw_file_pattern: str
    # The sample shipped in data/samples/ (a file or a folder) and the dt it holds.
    sample_path: str
    sample_dt: str
    # Driver/executor sizes on EMR Serverless (docs/runtimes.md derives them from the bench); every
    # dataset has its own, so the sizing and cost estimates cover it.
    size: JobSize
    sample_synthetic: bool = False
    site: DumpSite | None = None
    job_options: tuple[JobOption, ...] = ()
    # `wikilake ingest` options that apply to this dataset (the others are refused).
    ingest_options: frozenset[str] = field(default_factory=frozenset)
    # The hours a whole day has, one file each (pageviews: DAY_HOURS); empty: not published hourly.
    hours: tuple[int, ...] = ()
    # Checked after each run against the dataset's earlier runs (wikilake_core/quality.py).
    checks: tuple[quality.Check, ...] = ()
    # The measured rate the pipeline sizes its runs from (None: not measured; sized as the slowest).
    throughput: Throughput | None = None

    @property
    def sample(self) -> Path:
        return SAMPLES_DIR / self.sample_path

    def ingest_defaults(self) -> dict[str, object]:
        """The default of every ingest option that applies to this dataset."""
        return {name: default for name, default in INGEST_OPTION_DEFAULTS.items() if name in self.ingest_options}


# enwiki-20160501-pages-articles.xml.bz2, ...-pages-articles1.xml-p10p30302.bz2, .xml, .gz
ARTICLES_FILE = r"([a-z0-9_]+)-(\d{8})-pages-articles(-multistream)?(\d+)?\.xml(-p\d+p\d+)?(\.bz2|\.gz)?"

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="edits",
            summary="Wikipedia edit events, one JSON object per line (the wikiticker feed)",
            tables=("edits", "edits_filtered", "edits_by_channel"),
            raw_file_pattern=r".+",
            sample_path="wikiticker-2015-09-12-sampled.json.gz",
            sample_dt="2015-09-12",
            job_options=(JobOption("--country", "United States", "country_name kept in edits_filtered"),),
            ingest_options=frozenset({"source", "md5"}),
            # 38k events/s per vCPU measured; its JVM filled a 2 GB heap per core at 4x (3 GB per core
            # here); one scan task per gzip file (10 in the bench's day): 4 executors x 4 cores.
            size=JobSize(driver_vcpu=2, driver_memory_gb=4, executor_vcpu=4, executor_memory_gb=12, max_executors=4),
            checks=(
                quality.HistoryBand("rows_edits", quality.WARN, quality.rows("edits")),
                quality.Limits("rejected_share", quality.WARN, quality.rejected_share, high=0.01),
            ),
            throughput=Throughput(
                2_300_000,
                "bench/results/2026-11-26.json: edits-100x 1x, 236,583,640 bytes of gzip in a median 50.97 s "
                "inside the job on 2 vCPUs (2.32 MB/s per vCPU)",
            ),
        ),
        Dataset(
            name="pageviews",
            summary="Wikimedia hourly pageview dumps, 24 gzip files a day",
            tables=("pageviews_daily", "projectviews_hourly"),
            raw_file_pattern=r"pageviews-(\d{8})-(\d{2})0000(\.gz)?",
            sample_path="pageviews/dt=2024-03-15",
            sample_dt="2024-03-15",
            sample_synthetic=True,  # made by wikilake/local/generators/pageviews.py (data/samples/NOTICE.md)
            site=DumpSite(
                base_url="https://dumps.wikimedia.org/other/pageviews",
                folder="{year}/{year}-{month}",
                file_name="pageviews-{ymd}-{hour:02d}0000.gz",
                checksums="md5sums.txt",
                selectors=(("hours", "hour"),),
            ),
            ingest_options=frozenset({"hours", "mirror"}),
            hours=DAY_HOURS,
            # 143k lines/s per vCPU measured; flat 2.2 GB JVM with a 2 GB heap per core (kept); one
            # scan task per hourly file, 24 a day: 6 executors x 4 cores.
            size=JobSize(driver_vcpu=2, driver_memory_gb=4, executor_vcpu=4, executor_memory_gb=8, max_executors=6),
            checks=(
                # A partly published day has every hourly file but a fraction of the lines: the
                # run is not whole, so it ends QualityFailed (its data stays) until rerun.
                quality.HistoryBand("rows_pageviews_daily", quality.FAIL, quality.rows("pageviews_daily")),
                quality.HistoryBand("rows_projectviews_hourly", quality.WARN, quality.rows("projectviews_hourly")),
                quality.Limits("rejected_share", quality.WARN, quality.rejected_share, high=0.01),
                # Missing hours fail verification unless the run allows them; then they warn.
                quality.Limits("hours_complete", quality.WARN, quality.hours_present, low=len(DAY_HOURS)),
                quality.HistoryBand(
                    "distinct_projects", quality.WARN, quality.field("distinct_projects"), low=0.95, high=None
                ),
            ),
            throughput=Throughput(
                1_000_000,
                "bench/results/2026-11-26.json: 142,803 lines/s per vCPU (sizing.rows_per_vcpu_s) at ~7 bytes "
                "of gzip per real dump line (docs/performance.md, Cluster sizing; the bench's synthetic "
                "lines are 9.6 bytes, 1.38 MB/s per vCPU)",
            ),
        ),
        Dataset(
            name="articles",
            summary="MediaWiki XML article dumps (pages-articles), whole or in numbered parts",
            tables=("articles", "article_links", "article_categories"),
            raw_file_pattern=ARTICLES_FILE,
            sample_path="enwiki-pages-articles-sample.xml.bz2",
            sample_dt="2016-05-01",
            site=DumpSite(
                base_url="https://dumps.wikimedia.org",
                folder="{wiki}/{ymd}",
                file_name="{wiki}-{ymd}-pages-articles.xml.bz2",
                checksums="{wiki}-{ymd}-md5sums.txt",
                status_file="dumpstatus.json",
                selectors=(("wiki", "wiki"),),
                parts=r"{wiki}-{ymd}-pages-articles\d+\.xml-p\d+p\d+\.bz2",
            ),
            ingest_options=frozenset({"wiki", "parts", "mirror"}),
            # From bench/results/2026-12-06-articles.json (busy 2-vCPU machine, 6 copies of the sample):
            # the JVM peaked at 0.99 GB (1x) and 1.18 GB (2x) for 2 cores, ~0.6 GB per core, so 2 GB
            # of heap per core is ample. bzip2 splits (64 MB), so no file count caps the executors:
            # 7 is the most the default application caps (cdk.json: 32 vCPU, 128 GB) hold beside
            # the driver. The per-core rate of that run, marginal (2x minus 1x: 10,140,355 more bytes
            # in 33.2 s more on 2 vCPUs, 152,910 bytes/s per vCPU; its pessimistic bound, see
            # docs/performance.md), puts a whole 22 GB enwiki dump at 1.9 h on 7 executors (21
            # working vCPUs), inside the run's 4 hours; on 4 it would take 3.3 h.
            size=JobSize(driver_vcpu=2, driver_memory_gb=4, executor_vcpu=4, executor_memory_gb=8, max_executors=7),
            checks=(
                quality.HistoryBand("rows_articles", quality.FAIL, quality.rows("articles")),
                quality.HistoryBand("links_per_page", quality.WARN, quality.rows_per_row("article_links", "articles")),
                quality.Limits("rejected_share", quality.WARN, quality.rejected_share, high=0.01),
                quality.HistoryBand(
                    "distinct_wikis", quality.WARN, quality.distinct_input_names(ARTICLES_FILE), low=1.0, high=None
                ),
            ),
            throughput=Throughput(
                350_000,
                "docs/datasets.md, Benchmark: 68 MB of bzip2 (8,240 pages) in 95 s inside the job on 2 vCPUs, "
                "2026-11-30, with pip's pure-Java bzip2 codec (EMR's native one is faster)",
            ),
        ),
    )
}
DATASETS: tuple[str, ...] = tuple(REGISTRY)
TABLES: tuple[str, ...] = tuple(t for d in REGISTRY.values() for t in d.tables)


def get(name: str) -> Dataset:
    """The registered dataset called ``name``; WikilakeError naming the choices otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise WikilakeError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}") from None


def of_table(table: str) -> Dataset:
    """The dataset whose job writes ``table``."""
    found = [d for d in REGISTRY.values() if table in d.tables]
    if not found:
        raise WikilakeError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    return found[0]
