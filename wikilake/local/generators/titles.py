"""Made-up page titles for synthetic pageviews, of each kind a domain code gets (english, latin,
cyrillic, cjk, commons, wikidata): built from real words and syllables, decorated like real titles
(namespaces, disambiguators, percent-encoding), and distinct by construction."""

from __future__ import annotations

import math
from urllib.parse import quote

import numpy as np

from wikilake.local.generators.domains import KIND_OF_CODE, TITLE_KINDS

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
# Characters left as is when a title is percent-encoded (what MediaWiki leaves unescaped).
_TITLE_SAFE = "_:/!*-.,;@$'~"
VOCABULARY_SIZE = 6000
WIKIDATA_TAIL_OFFSET = 200_000_000
# Tail items are Q-ids above every recurring one; the spread is a prime, coprime with every
# vocabulary-triple count.
_TAIL_SPREAD = 1_000_000_007


def vocabulary(kind: str, rng: np.random.Generator) -> np.ndarray:
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


def distinct_indexes(size: int, space: int, rng: np.random.Generator) -> np.ndarray:
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
    return percent_encode_some(titles, rng)


def percent_encode_some(titles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Real dumps carry both raw UTF-8 and percent-encoded spellings: encode 15% of the special ones."""
    for i in np.flatnonzero(rng.random(len(titles)) < 0.15).tolist():
        if not titles[i].isascii() or "(" in titles[i]:
            titles[i] = quote(titles[i], safe=_TITLE_SAFE)
    return titles


def recurring_titles(kind: str, vocab: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct titles: distinct word pairs (first word from the first half), 30% longer."""
    if kind == "wikidata":
        return np.array([f"Q{i + 1}" for i in distinct_indexes(size, WIKIDATA_TAIL_OFFSET, rng).tolist()], dtype=object)
    half = len(vocab) // 2
    pair = distinct_indexes(size, half * len(vocab), rng)
    separator = "" if kind == "cjk" else "_"
    titles = vocab[pair % half] + separator + vocab[pair // half]
    longer = np.flatnonzero(rng.random(size) < 0.3)
    titles[longer] += separator + vocab[rng.integers(0, len(vocab), len(longer))]
    return _decorate(kind, titles, rng)


def tail_titles(kind: str, vocab: np.ndarray, ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def titles_by_kind(code_index: np.ndarray, make_titles) -> np.ndarray:
    """Titles for pages whose domain codes are ``CODES[code_index]``, built one title kind at a time."""
    kind_of_page = KIND_OF_CODE[code_index]
    titles = np.empty(len(code_index), dtype=object)
    for kind_index, kind in enumerate(TITLE_KINDS):
        mask = kind_of_page == kind_index
        if mask.any():
            titles[mask] = make_titles(kind, mask)
    return titles
