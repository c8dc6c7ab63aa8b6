"""Contact information (a URL or an e-mail address) that ingest puts in its User-Agent, as
Wikimedia's User-Agent policy asks; checked the same way for `--contact` and context `contact`."""

from __future__ import annotations

import re

from wikilake_core.errors import WikilakeError

# An http(s) URL or an e-mail address, with no space or parenthesis (they would break the
# "(contact)" comment of the header).
CONTACT = re.compile(
    r"^(https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/[^\s()]*)?"
    r"|[^@\s()]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$"
)
CONTACT_EXAMPLE = "a URL or an e-mail address, e.g. https://example.org/data-team or ops@example.org"


def check_contact(contact: str) -> str:
    """``contact`` stripped; a one-line error unless it is a URL or an e-mail address."""
    text = contact.strip()
    if not CONTACT.match(text):
        raise WikilakeError(f"contact {text!r} is not {CONTACT_EXAMPLE}")
    return text
