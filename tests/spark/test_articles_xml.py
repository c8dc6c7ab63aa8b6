"""The page's <text> element split off by position (articles_xml.split_text), on pages that take
the fast searches and on pages that need the exact ones, against a plain-Python reading of its
contract."""

from __future__ import annotations

import pytest

from spark_jobs.articles_xml import split_text

pytestmark = pytest.mark.spark

TEXT = '<text xml:space="preserve">'


def expected(page: str) -> tuple[str | None, str | None, str]:
    """(_text_attributes, _content, _markup): with exactly one </text>, the element is what
    follows the last "<text" before it (all that precedes it when there is none), its attributes
    run to the first ">", the content follows them; otherwise no text and the page unchanged."""
    if page.count("</text>") != 1:
        return None, None, page
    before, after = page.split("</text>")
    element = before.rsplit("<text", 1)[-1]
    attributes, _, content = element.partition(">")
    if ">" not in element:
        content = element
    return attributes, content, page.split("<text", 1)[0] + "<text" + attributes + "></text>" + after


PAGES = {
    "one text": f"<page><title>A</title><revision>{TEXT}x &amp; y</text><sha1>s</sha1></revision></page>",
    "non-ASCII text": f"<page><title>Ü</title><revision>{TEXT}naïve — ✓ 𝄞</text></revision></page>",
    "empty text": f"<page><revision>{TEXT}</text></revision></page>",
    "no attributes": "<page><revision><text>plain</text></revision></page>",
    "empty element": '<page><revision><text xml:space="preserve" /></revision></page>',
    "no text": "<page><title>A</title><revision><id>1</id></revision></page>",
    "a tag named like text before it": f"<page><revision><textual/>{TEXT}x</text></revision></page>",
    "two text elements": f"<page><revision>{TEXT}a</text>{TEXT}b</text></revision></page>",
    "a text start inside the text": f"<page><revision>{TEXT}a <text b</text></revision></page>",
    "an end without a start": "<page><revision>a</text></revision></page>",
    "a start after the end": "<page><revision>a</text><text>b</revision></page>",
    "a start without its >": "<page><revision><text</text></revision></page>",
}


@pytest.mark.parametrize("name", PAGES)
def test_split_text_cuts_the_page_as_its_contract_says(spark, name):
    page = PAGES[name]
    row = split_text(spark.createDataFrame([(page,)], "page string")).first()
    assert (row["_text_attributes"], row["_content"], row["_markup"]) == expected(page)
