"""wikilake_ingest.user_agent: the header Wikimedia's policy asks for, and when a contact is required."""

import pytest
import urllib3

from wikilake import __version__
from wikilake_core.errors import WikilakeError
from wikilake_ingest.user_agent import check_contact, needs_contact, require_contact, user_agent

LIBRARY = f"urllib3/{urllib3.__version__}"


def test_the_agent_names_wikilake_its_contact_and_the_library():
    assert user_agent("ops@example.org") == f"wikilake/{__version__} (ops@example.org) {LIBRARY}"
    assert user_agent(" https://example.org/team ") == f"wikilake/{__version__} (https://example.org/team) {LIBRARY}"
    assert user_agent(None) == user_agent("") == f"wikilake/{__version__} {LIBRARY}"


@pytest.mark.parametrize(
    "contact",
    [
        "ops@example.org",
        "first.last+lake@mail.example.co.uk",
        "https://example.org",
        "http://example.org:8080/team/wikilake?x=1",
        "https://meta.wikimedia.org/wiki/User:Me",
    ],
)
def test_urls_and_email_addresses_are_contacts(contact):
    assert check_contact(contact) == contact


@pytest.mark.parametrize(
    "contact",
    [
        "me",
        "call me",
        "ops@",
        "@example.org",
        "ops@localhost",
        "ops@example.org)",
        "example.org",
        "ftp://example.org",
        "https://example",
        "https://example.org/a b",
        "https://example.org/(x)",
        "mailto:ops@example.org x",
        "",
    ],
)
def test_anything_else_is_refused_in_one_line(contact):
    with pytest.raises(WikilakeError) as caught:
        check_contact(contact)
    assert str(caught.value) == (
        f"contact {contact!r} is not a URL or an e-mail address, e.g. https://example.org/data-team or ops@example.org"
    )


@pytest.mark.parametrize(
    "url, needed",
    [
        ("https://dumps.wikimedia.org/other/pageviews", True),
        ("https://DUMPS.Wikimedia.org/x", True),
        ("https://wikimedia.org/", True),
        ("https://en.wikipedia.org/wiki/Main_Page", True),
        ("https://mirror.example.org/pageviews", False),
        ("https://notwikimedia.org/x", False),
        ("https://wikimedia.org.example.com/x", False),
        ("http://127.0.0.1:8000/pageviews", False),
        ("data/samples/edits.json.gz", False),
        ("", False),
    ],
)
def test_wikimedia_sites_need_a_contact(url, needed):
    assert needs_contact(url) is needed


def test_require_contact_names_the_site_the_policy_and_the_fix():
    require_contact(["https://mirror.example.org/x"], None)
    require_contact(["https://dumps.wikimedia.org/x"], "ops@example.org")
    with pytest.raises(WikilakeError) as caught:
        require_contact(["https://mirror.example.org/x", "https://dumps.wikimedia.org/x"], None)
    assert str(caught.value) == (
        "dumps.wikimedia.org asks every client for contact information "
        "(https://meta.wikimedia.org/wiki/User-Agent_policy): pass --contact URL|EMAIL or set "
        "WIKILAKE_CONTACT"
    )
