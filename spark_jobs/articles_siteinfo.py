"""Each articles input file's siteinfo and completeness, read on the driver before anything is
written: the siteinfo from the file's head (a bounded streaming read: dbname, case, the names of
namespaces 6, -2 and 14), and for a .bz2 file bzip2's end-of-stream marker from its last bytes, so a
file that is not an export, or a truncated bzip2 file, stops the job naming the file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from spark_jobs import storage
from spark_jobs.storage import InputFile
from wikilake_core.errors import JobError

INPUT_NAME = re.compile(r".+\.xml(-p\d+p\d+)?(\.bz2|\.gz)?")
SITEINFO_END = b"</siteinfo>"
# A siteinfo is a few KB (enwiki: 4 KB); a file without one in its first MB is not an export.
SITEINFO_MAX_BYTES = 1024 * 1024
# bzip2's end-of-stream marker (48 bits, then a 32-bit CRC, then padding to a byte): a complete
# .bz2 file has it in its last 11 bytes, a truncated one does not.
BZIP2_END_OF_STREAM = 0x177245385090
BZIP2_TAIL_BYTES = 11


@dataclass(frozen=True)
class SiteInfo:
    dbname: str
    case: str
    # Lower-cased prefixes naming namespace 14 (categories) and 6 / -2 (files) on this wiki.
    category_prefixes: tuple[str, ...]
    file_prefixes: tuple[str, ...]


def parse_siteinfo(head: bytes, name: str) -> SiteInfo:
    """The siteinfo of a file whose first bytes are ``head``; JobError if it is not an export."""
    text = head.decode("utf-8", errors="replace")
    start, end = text.find("<mediawiki"), text.find("</siteinfo>")
    if (
        start < 0
        or end < 0
        or text[:start].strip() not in ("", '<?xml version="1.0"?>')
        and not text[:start].lstrip().startswith("<?xml")
    ):
        raise JobError(f"{name} is not a MediaWiki export (no <mediawiki><siteinfo> at its start); nothing was written")
    try:
        root = ET.fromstring(text[start : end + len("</siteinfo>")] + "</mediawiki>")
    except ET.ParseError as err:
        raise JobError(f"{name}: its siteinfo is not well-formed XML ({err}); nothing was written") from None
    local = {el.tag.rsplit("}", 1)[-1]: el for el in root.iter()}
    names: dict[str, str] = {}
    for el in root.iter():
        key = el.get("key")
        if el.tag.endswith("namespace") and key is not None:
            names[key] = (el.text or "").strip().lower()
    dbname = (local["dbname"].text or "").strip() if "dbname" in local else ""
    if not dbname:
        raise JobError(f"{name}: its siteinfo has no <dbname>; nothing was written")
    case = (local["case"].text or "").strip() if "case" in local else ""

    def prefixes(canonical: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({*canonical, *(names[k] for k in keys if names.get(k))}))

    return SiteInfo(dbname, case, prefixes(("category",), ("14",)), prefixes(("file", "image", "media"), ("6", "-2")))


def ends_like_bzip2(tail: bytes) -> bool:
    """Whether ``tail`` (a .bz2 file's last bytes) holds bzip2's end-of-stream marker."""
    bits = int.from_bytes(tail, "big")
    return any((bits >> (32 + padding)) & (2**48 - 1) == BZIP2_END_OF_STREAM for padding in range(8))


# The siteinfos of the last inputs read: the job's input check reads them, its read() needs them
# again (each read opens every file and decodes its first bzip2 block).
_last_siteinfos: dict[tuple[tuple[str, int], ...], dict[str, SiteInfo]] = {}


def read_siteinfos(spark: SparkSession, inputs: Sequence[InputFile]) -> dict[str, SiteInfo]:
    """Each input's siteinfo by path; JobError naming the first file that is not a readable,
    complete MediaWiki export. Read once for the same files (paths and sizes)."""
    key = tuple((f.path, f.size) for f in inputs)
    if key not in _last_siteinfos:
        found = _read_siteinfos(spark, inputs)
        _last_siteinfos.clear()
        _last_siteinfos[key] = found
    return _last_siteinfos[key]


def _read_siteinfos(spark: SparkSession, inputs: Sequence[InputFile]) -> dict[str, SiteInfo]:
    found = {}
    for f in inputs:
        if not INPUT_NAME.fullmatch(f.name):
            raise JobError(f"{f.name} is not a MediaWiki XML export (.xml, .xml.bz2 or .xml.gz); nothing was written")
        try:
            head = storage.read_head(spark, f.path, SITEINFO_END, SITEINFO_MAX_BYTES)
            complete = not f.name.endswith(".bz2") or ends_like_bzip2(
                storage.read_tail(spark, f.path, f.size, BZIP2_TAIL_BYTES)
            )
        except Py4JJavaError as err:
            cause = err.java_exception
            while cause.getCause() is not None:
                cause = cause.getCause()
            raise JobError(
                f"cannot read {f.path}: {cause.getClass().getSimpleName()}: {cause.getMessage()}; nothing was written"
            ) from None
        if not complete:
            raise JobError(
                f"cannot read {f.path}: the bzip2 stream is truncated (no end-of-stream marker); nothing was written"
            )
        found[f.path] = parse_siteinfo(head, f.name)
    return found
