"""Which wikis a synthetic pageviews hour is drawn from: the domain codes' mix, the pages that
lead every real dump, and the kind of title each code's pages get."""

from __future__ import annotations

import numpy as np

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


def title_kind(domain_code: str) -> str:
    """The kind of title (and so of vocabulary) a domain code's pages get."""
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


# DOMAIN_MIX as arrays, for drawing codes by share and looking up their title kinds by index.
CODES = np.array([code for code, _ in DOMAIN_MIX], dtype=object)
CODE_CUMULATIVE_SHARES = np.cumsum([w for _, w in DOMAIN_MIX]) / sum(w for _, w in DOMAIN_MIX)
TITLE_KINDS = tuple(sorted({title_kind(code) for code in CODES}))
KIND_OF_CODE = np.array([TITLE_KINDS.index(title_kind(code)) for code in CODES])
