"""`wikilake ingest`: copy a day of dumps into the lake's raw/ partition (S3 or a local folder)."""

from __future__ import annotations

import argparse
import os
import re

from wikilake.commands.common import add_aws_options
from wikilake_core import datasets
from wikilake_core.datasets import DATASETS, INGEST_OPTION_DEFAULTS
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError
from wikilake_core.http_budget import DOWNLOAD, MAX_DOWNLOADS

DESCRIPTION = f"""\
Copy one day of a dataset's dumps into raw/<dataset>/dt=<date>/ of the lake: the deployed
stack's bucket (default), another s3://bucket[/prefix], or a local lake folder.

pageviews: the hourly files pageviews-YYYYMMDD-HH0000.gz of that date from the dumps site
(month folder YYYY/YYYY-MM/), each verified against the month's md5sums.txt. Files stream
straight to S3 (multipart upload, one part in memory, nothing on disk) and appear under raw/
only once complete and verified; the MD5 is kept in the object's metadata (x-amz-meta-md5),
so a rerun skips what is already there. At most {MAX_DOWNLOADS} downloads run at once (the dumps site's
limit); 5xx/429 responses, timeouts and cut-off bodies are retried with exponential backoff
(cut-off bodies resume with a Range request). A file that still fails is reported and leaves
nothing behind.

articles: a MediaWiki pages-articles dump of that date from the dumps site (<wiki>/<YYYYMMDD>/):
the one file <wiki>-<YYYYMMDD>-pages-articles.xml.bz2, or with --parts its numbered parts as the
folder's dumpstatus.json lists them. A dump whose job is not done in dumpstatus.json is refused
before anything moves; each file is verified against <wiki>-<YYYYMMDD>-md5sums.txt, streamed,
and skipped on rerun once verified, as for pageviews.

Every request says who is asking: User-Agent "wikilake/<version> (<contact>) urllib3/<version>",
as Wikimedia's User-Agent policy requires (https://meta.wikimedia.org/wiki/User-Agent_policy).
The contact (a URL or an e-mail address) comes from --contact or WIKILAKE_CONTACT; ingest from
a Wikimedia site refuses to start without one (a custom --mirror does not need it).

edits: one file of edit events (JSON lines) from a URL or a local file. Without --source,
the sample shipped in data/samples/ is used for its date, 2015-09-12.
"""

EPILOG = """\
examples:
  export WIKILAKE_CONTACT=ops@example.org                          # or --contact, once per run
  wikilake ingest pageviews --date 2024-03-15                      # whole day -> stack bucket
  wikilake ingest pageviews --date 2024-03-15 --hours 0-5,12
  wikilake ingest pageviews --date 2024-03-15 --to ./lake          # local lake folder
  wikilake ingest pageviews --date 2024-03-15 --mirror https://mirror.example.org/pageviews
  wikilake ingest articles --date 2024-03-01 --wiki dewiki --parts # numbered parts
  wikilake ingest edits --date 2015-09-12                          # the shipped sample
  wikilake ingest edits --date 2024-03-15 --source https://example.org/edits.json.gz --md5 <hex>

exit status: 0 when every file is in place (uploaded or already verified), 1 otherwise.
"""

_SIZE = re.compile(r"^\s*(\d+)\s*(b|kib|mib|gib)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def _size(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: e.g. 8MiB, 512KiB or 8388608")
    return int(match.group(1)) * _UNITS[(match.group(2) or "b").lower()]


def _hours(text: str) -> tuple[int, ...]:
    from wikilake.local.generators.pageviews import parse_hours

    try:
        return parse_hours(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="copy a day of dumps into the lake's raw/ partition (S3 or local)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--date", required=True, help="the dump's date, YYYY-MM-DD (-> dt=)")
    parser.add_argument(
        "--to",
        metavar="s3://BUCKET[/PREFIX]|DIR",
        help="lake root to write to (default: the deployed stack's data bucket)",
    )
    _add_dataset_options(parser)
    _add_transfer_options(parser)
    add_aws_options(parser)
    parser.set_defaults(func=_ingest)


def _dumps_url(name: str) -> str:
    """The base URL of a dataset's dump site (one that ingests from one: pageviews, articles)."""
    site = datasets.get(name).site
    if site is None:
        raise ValueError(f"{name} has no dump site")
    return site.base_url


def _add_dataset_options(parser) -> None:
    """The options of one dataset each (refused for the others by _dataset_options)."""
    pageviews = parser.add_argument_group("pageviews")
    pageviews.add_argument(
        "--hours",
        type=_hours,
        default=None,
        metavar="SPEC",
        help="hours of the day, e.g. 0-23 (default), 5 or 0-5,12,20-23",
    )
    pageviews.add_argument(
        "--mirror",
        default=None,
        metavar="URL",
        help=f"dumps base URL (default: {_dumps_url('pageviews')} "
        f"for pageviews, {_dumps_url('articles')} for articles)",
    )
    articles = parser.add_argument_group("articles")
    articles.add_argument(
        "--wiki",
        type=lambda name: (name,),
        default=None,
        metavar="DBNAME",
        help="the wiki whose dump to ingest (default: enwiki)",
    )
    articles.add_argument(
        "--parts",
        action="store_const",
        const=True,
        default=None,
        help="the numbered parts (pages-articlesN.xml-p<first>p<last>.bz2) instead of the one whole file",
    )
    edits = parser.add_argument_group("edits")
    edits.add_argument(
        "--source", metavar="URL|FILE", help="where the edits file is (default: the shipped sample, for 2015-09-12)"
    )
    edits.add_argument("--md5", help="the file's expected MD5 (verified; lets reruns skip it)")


def _add_transfer_options(parser) -> None:
    """How the files are fetched and written: who asks, how many at once, retries, part size."""
    transfer = parser.add_argument_group("transfer")
    transfer.add_argument(
        "--contact",
        metavar="URL|EMAIL",
        help="how Wikimedia can reach you, sent in the User-Agent (default: "
        "$WIKILAKE_CONTACT; required for the public dumps site)",
    )
    transfer.add_argument(
        "--parallel",
        type=int,
        choices=range(1, MAX_DOWNLOADS + 1),
        default=MAX_DOWNLOADS,
        help="concurrent downloads (default %(default)s, the dumps site's limit)",
    )
    transfer.add_argument(
        "--retries",
        type=int,
        default=DOWNLOAD.retries,
        help="retries per file for 5xx, timeouts, cut-off bodies, bad checksums (default %(default)s)",
    )
    transfer.add_argument(
        "--backoff",
        type=float,
        default=DOWNLOAD.backoff,
        metavar="SECONDS",
        help=f"backoff factor: waits grow as SECONDS x 2^n, up to {DOWNLOAD.backoff_max:g} s (default %(default)g)",
    )
    transfer.add_argument(
        "--timeout",
        type=float,
        default=DOWNLOAD.read_timeout,
        metavar="SECONDS",
        help="read timeout per request (default %(default)g)",
    )
    transfer.add_argument(
        "--part-size",
        type=_size,
        default="8MiB",
        metavar="SIZE",
        help="S3 multipart part size (default 8MiB; S3's minimum is 5MiB)",
    )


def _dataset_options(args, dataset) -> dict:
    """The dataset-specific options given, with defaults; one line if one does not apply."""
    given = [name for name in INGEST_OPTION_DEFAULTS if getattr(args, name) is not None]
    refused = [name for name in given if name not in dataset.ingest_options]
    if refused:
        applies = ", ".join(f"--{name}" for name in sorted(dataset.ingest_options)) or "none"
        raise WikilakeError(f"--{refused[0]} does not apply to {dataset.name} (its options: {applies})")
    return {
        name: default if getattr(args, name) is None else getattr(args, name)
        for name, default in dataset.ingest_defaults().items()
    }


def _sink(args, dataset: str, dt: str):
    from wikilake_core import layout
    from wikilake_ingest.sinks import LocalSink, S3Sink

    if args.to and not args.to.startswith("s3://"):
        return LocalSink(layout.raw_dir(args.to, dataset, dt))
    from wikilake.aws.session import AwsContext
    from wikilake_core.contract import Outputs

    aws = AwsContext.from_args(args)
    root = args.to.rstrip("/") if args.to else f"s3://{aws.outputs.require(Outputs.BUCKET)}"
    bucket, _, prefix = root[len("s3://") :].partition("/")
    if not bucket:
        raise WikilakeError(f"bad destination {args.to!r}: write s3://bucket[/prefix] or a folder")
    key_prefix = layout.raw_dir(prefix, dataset, dt).lstrip("/")
    return S3Sink(aws.client("s3"), bucket, key_prefix, part_bytes=args.part_size)


def _ingest(args) -> int:
    import time

    from rich.console import Console

    from wikilake.aws.session import aws_errors
    from wikilake_ingest import transfer as ingest
    from wikilake_ingest.sources import HttpClient, RetryPolicy
    from wikilake_ingest.user_agent import CONTACT_ENV, require_contact, user_agent

    dataset, dt = datasets.get(args.dataset), parse_date(args.date)
    options = _dataset_options(args, dataset)
    contact = args.contact or os.environ.get(CONTACT_ENV) or None
    site = ingest.dump_site(dataset, options)
    require_contact([options.get("mirror") or site.base_url] if site else [options.get("source") or ""], contact)
    policy = RetryPolicy(retries=args.retries, backoff=args.backoff, read_timeout=args.timeout)
    client = HttpClient(policy, max_connections=args.parallel, user_agent=user_agent(contact))
    with aws_errors():
        # Cheap checks first: a local source, then the destination, then the dump site.
        items = None if site else ingest.plan(client, dataset, dt, options)
        sink = _sink(args, dataset.name, dt)
        items = items or ingest.plan(client, dataset, dt, options)
        started = time.monotonic()
        from wikilake.commands.ingest_progress import TransferProgress

        with TransferProgress(Console(stderr=True), len(items)) as tracker:
            outcomes = ingest.ingest(items, sink, parallel=args.parallel, tracker=tracker)
    _print_summary(outcomes, sink.location, time.monotonic() - started)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise WikilakeError(
            f"{len(failed)} of {len(outcomes)} files failed, nothing partial was kept; first: {failed[0].error}"
        )
    return 0


def _print_summary(outcomes, location: str, seconds: float) -> None:
    from rich.console import Console, JustifyMethod
    from rich.filesize import decimal
    from rich.table import Table

    table = Table(title=f"ingest -> {location}", title_justify="left")
    table.add_column("file", no_wrap=True)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("size", "right"),
        ("md5", "left"),
        ("result", "left"),
        ("tries", "right"),
        ("time", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    results = {"uploaded": "[green]ingested", "skipped": "already there", "failed": "[red]FAILED"}
    for o in outcomes:
        table.add_row(
            o.name,
            decimal(o.size) if o.size is not None else "",
            (o.md5 or "")[:8],
            results[o.status],
            str(o.attempts or ""),
            f"{o.seconds:.1f}s" if o.status != "skipped" else "",
        )
    console = Console()
    console.print(table)
    for o in outcomes:
        if o.error:
            console.print(f"[red]x[/red] {o.error}", highlight=False, soft_wrap=True)
    uploaded = [o for o in outcomes if o.status == "uploaded"]
    skipped = sum(o.status == "skipped" for o in outcomes)
    size = sum(o.size for o in uploaded)
    console.print(
        f"{len(uploaded)} ingested ({decimal(size)} in {seconds:.1f}s, "
        f"{decimal(int(size / max(seconds, 1e-3)))}/s), {skipped} already there and "
        f"verified, {len(outcomes) - len(uploaded) - skipped} failed",
        highlight=False,
        soft_wrap=True,
    )
