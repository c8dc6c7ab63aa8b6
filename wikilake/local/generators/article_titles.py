"""Real titles for synthetic pageviews: the namespace-0 titles of the shipped articles sample, given
to popular en.wikipedia pages so that pageviews join to articles as they do on real dumps."""

from __future__ import annotations

import bz2
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from wikilake.local.generators.domains import HEAD_PAGES
from wikilake.local.generators.titles import percent_encode_some
from wikilake_core.paths import SAMPLES_DIR

ARTICLES_SAMPLE = SAMPLES_DIR / "enwiki-pages-articles-sample.xml.bz2"
SAMPLE_TITLE_CODES = ("en", "en.m")  # en.wikipedia, whose dump the articles sample is
SAMPLE_TITLE_EVERY, SAMPLE_TITLE_TAKEN = 5, 3  # 3 in 5 of those pages, by popularity rank


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


def with_sample_titles(codes: np.ndarray, titles: np.ndarray, seed: int) -> np.ndarray:
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
        titles[ranks] = percent_encode_some(np.array(chosen[: len(ranks)], dtype=object), rng)
    return titles
