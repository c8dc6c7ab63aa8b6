"""The User-Agent of every HTTP request ingest makes, and the contact information it carries.

Wikimedia's User-Agent policy (https://meta.wikimedia.org/wiki/User-Agent_policy) asks every
client for a descriptive agent with a way to reach its operator (a URL or an e-mail address),
and blocks generic ones such as ``python-urllib3/2.8.0``. Pure functions (plus urllib3's version),
so the pipeline's ingest function shares them with the CLI; the contact rule itself is in
wikilake_core.contact (the CDK config checks context ``contact`` with it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import urllib3

from wikilake_core import __version__
from wikilake_core.contact import check_contact
from wikilake_core.errors import WikilakeError

POLICY_URL = "https://meta.wikimedia.org/wiki/User-Agent_policy"
CONTACT_ENV = "WIKILAKE_CONTACT"
# The sites the policy covers; a private mirror sets its own rules.
WIKIMEDIA_DOMAINS = ("wikimedia.org", "wikipedia.org")


def user_agent(contact: str | None) -> str:
    """``wikilake/<version> (<contact>) urllib3/<version>``; without a contact, no comment."""
    comment = f" ({check_contact(contact)})" if contact else ""
    return f"wikilake/{__version__}{comment} urllib3/{urllib3.__version__}"


def needs_contact(url: str) -> bool:
    """True for a Wikimedia site (the public dumps site), whose policy requires contact information."""
    host = f".{urlsplit(url).hostname}"  # lower case already; ".None" without a host
    return any(host.endswith(f".{domain}") for domain in WIKIMEDIA_DOMAINS)


def require_contact(urls: list[str], contact: str | None) -> None:
    """Refuse, in one line, to fetch from a Wikimedia site without contact information."""
    wikimedia = [url for url in urls if needs_contact(url)]
    if wikimedia and not contact:
        raise WikilakeError(
            f"{urlsplit(wikimedia[0]).hostname} asks every client for contact information "
            f"({POLICY_URL}): pass --contact URL|EMAIL or set {CONTACT_ENV}"
        )
