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
import bz2
import gzip
import math
import os
import time
from dataclasses import dataclass
from datetime import date as Date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import numpy as np

from wikilake_core.paths import SAMPLES_DIR

FILE_NAME_FORMAT = "pageviews-{ymd}-{hour:02d}0000.gz"

# Share of lines per domain code, roughly like a real hourly file (English mobile and desktop
# dominate; wikidata and commons are large; many small projects). Weights need not sum to 1.
DOMAIN_MIX: tuple[tuple[str, float], ...] = (
    ("en", 16.0),
    ("en.m", 20.0),
    ("de", 4.5),
    ("de.m", 4.5),
    ("ja", 2.5),
    ("ja.m", 4.5),
    ("fr", 3.0),
    ("fr.m", 3.0),
    ("es", 2.5),
    ("es.m", 4.0),
    ("ru", 3.0),
    ("ru.m", 2.5),
    ("it", 2.0),
    ("it.m", 2.0),
    ("zh", 2.0),
    ("zh.m", 1.5),
    ("pl", 1.0),
    ("pl.m", 1.2),
    ("pt", 1.0),
    ("pt.m", 1.5),
    ("nl", 0.8),
    ("nl.m", 0.6),
    ("uk", 0.6),
    ("uk.m", 0.5),
    ("sv", 0.4),
    ("fa.m", 0.5),
    ("ar.m", 0.5),
    ("commons.m", 4.0),
    ("commons.m.m", 0.5),
    ("www.wd", 4.0),
    ("m.wd", 0.3),
    ("en.d", 1.0),
    ("en.m.d", 0.6),
    ("de.d", 0.3),
    ("fr.d", 0.3),
    ("en.b", 0.2),
    ("en.q", 0.2),
    ("en.m.q", 0.1),
    ("en.s", 0.2),
    ("de.s", 0.05),
    ("en.v", 0.1),
    ("en.voy", 0.1),
    ("en.m.voy", 0.05),
    ("fr.voy", 0.03),
    ("en.n", 0.05),
    ("de.n", 0.02),
    ("meta.m", 0.3),
    ("meta.m.m", 0.05),
    ("species.m", 0.1),
    ("incubator.m", 0.03),
    ("www.w", 0.2),
    ("m.w", 0.02),
    ("foundation.f", 0.01),
    ("foundation.m.f", 0.005),
    ("en.zero", 0.01),
    ("ar.zero", 0.005),
)

# Pages that lead the real dumps; they get the top popularity ranks.
HEAD_PAGES: tuple[tuple[str, str], ...] = (
    ("en.m", "Main_Page"),
    ("en", "Main_Page"),
    ("en", "Special:Search"),
    ("en", "-"),
    ("de", "Wikipedia:Hauptseite"),
    ("commons.m", "Main_Page"),
    ("www.wd", "Special:EntityData"),
    ("ja.m", "メインページ"),
    ("fr", "Wikipédia:Accueil_principal"),
    ("en.m", "-"),
)

# Real words and syllables from which each kind of title is built (pseudo-words from syllables
# give the tail the variety of real titles without shipping a word list).
_ENGLISH = [
    "History",
    "Battle",
    "Album",
    "Film",
    "Station",
    "River",
    "Church",
    "School",
    "County",
    "Party",
    "Election",
    "Football",
    "Club",
    "Railway",
    "Island",
    "Lake",
    "Mountain",
    "Village",
    "District",
    "Castle",
    "University",
    "Airport",
    "Bridge",
    "Museum",
    "Song",
    "Novel",
    "Season",
    "Series",
    "Cup",
    "League",
    "Championship",
    "Tour",
    "Army",
    "Empire",
    "King",
    "Queen",
    "Prince",
    "Saint",
    "Ship",
    "Park",
    "Street",
    "Tower",
    "Hospital",
    "Language",
    "Theory",
    "Algorithm",
    "Protein",
    "Species",
    "Galaxy",
    "Planet",
    "Virus",
    "List",
    "of",
    "the",
    "and",
    "in",
    "John",
    "William",
    "Mary",
    "New",
    "North",
    "South",
    "United",
    "States",
    "Kingdom",
]
_SYLLABLES = {
    "english": "ka ro mel an tor ius berg ville ton ia dor sen lin mar vel ost ham ford ley wick "
    "son bert al ber ri co na de la mi ste ven ar thur ell ine ash by mont gom",
    "latin": "ber gen dorf stadt ville mont ski sz cz ier eau ai es os ana ita ino ella burg hof "
    "mar ze wa ra lo ti no ca ge li ü ß é ł ñ ç ö ová ão",
    "cyrillic": "ко ра ми ов ский гра до не ль ва сто ро на ев ин ка ли мо жи ча бо дер ово ск",
    "cjk": "日本東京大学駅線道県市町村山川戦争映画音楽中国北京上海人民歴史天皇寺神社高校"
    "のがにをはでとアイウエオカキクケコサシスセソタチツテトナニヌネノマミムメモラリルレロン",
}
_DISAMBIGUATORS = ("film", "album", "band", "song", "novel", "disambiguation", "TV_series")
_NAMESPACES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "Talk:",
    "Category:",
    "Template:",
    "User:",
    "Wikipedia:",
    "Special:Search/",
)
ARTICLES_SAMPLE = SAMPLES_DIR / "enwiki-pages-articles-sample.xml.bz2"
SAMPLE_TITLE_CODES = ("en", "en.m")  # en.wikipedia, whose dump the articles sample is
SAMPLE_TITLE_EVERY, SAMPLE_TITLE_TAKEN = 5, 3  # 3 in 5 of those pages, by popularity rank
# Characters left as is when a title is percent-encoded (what MediaWiki leaves unescaped).
_TITLE_SAFE = "_:/!*-.,;@$'~"
VOCABULARY_SIZE = 6000

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
WIKIDATA_TAIL_OFFSET = 200_000_000
# Tail items are Q-ids above every recurring one; the spread is a prime, coprime with every
# vocabulary-triple count.
_TAIL_SPREAD = 1_000_000_007

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


def _title_kind(domain_code: str) -> str:
    site = domain_code.split(".")[0]
    if domain_code.endswith(".wd"):
        return "wikidata"
    if site in ("commons", "species", "meta", "incubator"):
        return "commons"
    if site in ("ja", "zh"):
        return "cjk"
    if site in ("ru", "uk"):
        return "cyrillic"
    if site in ("de", "fr", "es", "it", "pl", "pt", "nl", "sv"):
        return "latin"
    return "english"


_CODES = np.array([code for code, _ in DOMAIN_MIX], dtype=object)
_CODE_CUMULATIVE_SHARES = np.cumsum([w for _, w in DOMAIN_MIX]) / sum(w for _, w in DOMAIN_MIX)
_KINDS = tuple(sorted({_title_kind(code) for code in _CODES}))
_KIND_OF_CODE = np.array([_KINDS.index(_title_kind(code)) for code in _CODES])


def _vocabulary(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Distinct words of one kind: real words, then pseudo-words of syllables.

    No word contains "_", ":" or "%" (CJK words are exactly two characters), so titles made of
    distinct word sequences are distinct strings. Recurring titles start with a word of the first
    half, tail titles with one of the second half, so the two never collide either.
    """
    if kind == "cjk":
        chars = list(_SYLLABLES["cjk"])
        picks = rng.integers(0, len(chars), (VOCABULARY_SIZE, 2)).tolist()
        return np.array(list(dict.fromkeys(chars[a] + chars[b] for a, b in picks)), dtype=object)
    syllables = _SYLLABLES.get(kind, _SYLLABLES["english"]).split()
    picks = rng.integers(0, len(syllables), (VOCABULARY_SIZE, 4)).tolist()
    lengths = rng.integers(2, 5, VOCABULARY_SIZE).tolist()
    words = ("".join(syllables[i] for i in row[:n]) for row, n in zip(picks, lengths))
    return np.array(list(dict.fromkeys(_ENGLISH + [w[:1].upper() + w[1:] for w in words])), dtype=object)


def _distinct_indexes(size: int, space: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct pseudo-random integers in [0, space): a random affine bijection mod space."""
    if size > space:
        raise ValueError(f"cannot draw {size} distinct values from {space}")
    while math.gcd(step := int(rng.integers(1, max(space, 2))), space) != 1:
        pass
    return (np.arange(size, dtype=np.int64) * step + int(rng.integers(0, space))) % space


def _decorate(kind: str, titles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Namespaces, disambiguators, file names and percent-encoding, as in real titles."""
    size = len(titles)
    if kind == "commons":
        titles = np.where(rng.random(size) < 0.7, "File:" + titles + ".jpg", "Category:" + titles)
    elif kind != "cjk":
        disambiguated = np.flatnonzero(rng.random(size) < 0.08)
        suffixes = np.array([f"_({d})" for d in _DISAMBIGUATORS], dtype=object)
        titles[disambiguated] += suffixes[rng.integers(0, len(suffixes), len(disambiguated))]
        namespaces = np.array(_NAMESPACES, dtype=object)
        titles = namespaces[rng.integers(0, len(namespaces), size)] + titles
    return _percent_encode_some(titles, rng)


def _percent_encode_some(titles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Real dumps carry both raw UTF-8 and percent-encoded spellings: encode 15% of the special ones."""
    for i in np.flatnonzero(rng.random(len(titles)) < 0.15).tolist():
        if not titles[i].isascii() or "(" in titles[i]:
            titles[i] = quote(titles[i], safe=_TITLE_SAFE)
    return titles


@lru_cache(maxsize=2)
def article_sample_titles(path: Path = ARTICLES_SAMPLE) -> tuple[str, ...]:
    """The namespace-0 titles of a MediaWiki export as pageviews write them (`_` for spaces), in
    file order; () if the file is absent. A streaming parse that keeps no page."""
    if not path.is_file():
        return ()
    titles, title = [], None
    with bz2.open(path) as xml:
        for _, element in ElementTree.iterparse(xml):
            tag = element.tag.rpartition("}")[2]
            if tag == "title":
                title = element.text
            elif tag == "ns" and element.text == "0" and title:
                titles.append(title.replace(" ", "_"))
            elif tag == "page":
                element.clear()
    return tuple(titles)


def _with_sample_titles(codes: np.ndarray, titles: np.ndarray, seed: int) -> np.ndarray:
    """``titles`` with 3 in 5 of each SAMPLE_TITLE_CODES's recurring pages after the head (by
    rank) renamed to a title of the articles sample, each title once per code, in a seeded order."""
    sample = article_sample_titles()
    if not sample:
        return titles
    rng = np.random.default_rng([seed, len(titles), 1])  # its own stream: other titles unchanged
    titles = titles.copy()
    head = len(HEAD_PAGES)
    for code in SAMPLE_TITLE_CODES:
        taken = set(titles[codes == code].tolist())
        chosen = [sample[i] for i in rng.permutation(len(sample)).tolist() if sample[i] not in taken]
        ranks = head + np.flatnonzero(codes[head:] == code)
        ranks = ranks[np.arange(len(ranks)) % SAMPLE_TITLE_EVERY < SAMPLE_TITLE_TAKEN][: len(chosen)]
        titles[ranks] = _percent_encode_some(np.array(chosen[: len(ranks)], dtype=object), rng)
    return titles


def _recurring_titles(kind: str, vocab: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct titles: distinct word pairs (first word from the first half), 30% longer."""
    if kind == "wikidata":
        return np.array(
            [f"Q{i + 1}" for i in _distinct_indexes(size, WIKIDATA_TAIL_OFFSET, rng).tolist()], dtype=object
        )
    half = len(vocab) // 2
    pair = _distinct_indexes(size, half * len(vocab), rng)
    separator = "" if kind == "cjk" else "_"
    titles = vocab[pair % half] + separator + vocab[pair // half]
    longer = np.flatnonzero(rng.random(size) < 0.3)
    titles[longer] += separator + vocab[rng.integers(0, len(vocab), len(longer))]
    return _decorate(kind, titles, rng)


def _tail_titles(kind: str, vocab: np.ndarray, ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The titles of virtual tail pages ``ids``: three words, the first from the second half."""
    if kind == "wikidata":
        return np.array([f"Q{i + WIKIDATA_TAIL_OFFSET}" for i in ids.tolist()], dtype=object)
    half, size = len(vocab) // 2, len(vocab)
    separator = "" if kind == "cjk" else "_"
    # Spread the ids over every word triple (a bijection mod the number of triples) for variety.
    spread = (ids * _TAIL_SPREAD) % ((size - half) * size * size)
    first = vocab[half + spread % (size - half)]
    rest = spread // (size - half)
    return _decorate(kind, first + separator + vocab[rest % size] + separator + vocab[(rest // size) % size], rng)


def _titles_by_kind(code_index: np.ndarray, make_titles) -> np.ndarray:
    """Titles for pages whose domain codes are ``_CODES[code_index]``, built one title kind at a time."""
    kind_of_page = _KIND_OF_CODE[code_index]
    titles = np.empty(len(code_index), dtype=object)
    for kind_index, kind in enumerate(_KINDS):
        mask = kind_of_page == kind_index
        if mask.any():
            titles[mask] = make_titles(kind, mask)
    return titles


@lru_cache(maxsize=4)
def build_universe(lines_per_hour: int, seed: int) -> Universe:
    """The recurring pages (HEAD_PAGES first) and vocabularies for ``lines_per_hour``-line hours.

    Titles are distinct by construction (see _vocabulary), so no deduplication pass is needed.
    """
    rng = np.random.default_rng([seed, lines_per_hour])
    vocabularies = {kind: _vocabulary(kind, rng) for kind in _KINDS}
    size = max(len(HEAD_PAGES), math.ceil(lines_per_hour * RECURRING_FACTOR))
    code_index = rng.choice(len(_CODES), size=size - len(HEAD_PAGES), p=np.diff(_CODE_CUMULATIVE_SHARES, prepend=0.0))
    titles = _titles_by_kind(
        code_index, lambda kind, mask: _recurring_titles(kind, vocabularies[kind], int(mask.sum()), rng)
    )
    codes = np.concatenate([np.array([c for c, _ in HEAD_PAGES], dtype=object), _CODES[code_index]])
    titles = _with_sample_titles(
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
    ids = _distinct_indexes(count, universe.tail_space, rng)
    # Fibonacci hashing: a page id maps to the same domain code in every hour.
    spread = (ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)
    code_index = np.searchsorted(_CODE_CUMULATIVE_SHARES, spread / float(1 << 53), side="right")
    titles = _titles_by_kind(
        code_index, lambda kind, mask: _tail_titles(kind, universe.vocabularies[kind], ids[mask], rng)
    )
    views = 1 + (rng.random(count) < 0.15).astype(np.int64)
    return _CODES[code_index] + " " + titles + " ", views


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
