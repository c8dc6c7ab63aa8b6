"""Typed access to the CDK context's values, each failure a one-line ConfigError naming the key.

Values from `-c` arrive as strings, values from cdk.json may be typed: every reader accepts both.
Stdlib only (plus wikilake_core), so the unit tests need no jsii.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from wikilake_core.errors import WikilakeError

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
# Only plain snake_case keys are ours: CDK's own keys contain ':' or '/'.
_APP_KEY = re.compile(r"[a-z][a-z0-9_]*")


class ConfigError(WikilakeError):
    """A bad context value; the message is one line: key, problem, fix."""

    def __init__(self, key: str, value: Any, problem: str, fix: str):
        shown = "" if value is None else f"={value!r}"
        super().__init__(f"context {key}{shown}: {problem}; fix: {fix}")


def refuse_unknown_keys(context: Mapping[str, Any], keys: Iterable[str]) -> None:
    """A typo such as `-c ssh_cidr=...` would otherwise be ignored silently."""
    known = list(keys)
    for key in context:
        if _APP_KEY.fullmatch(key) and key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            fix = f"did you mean {close[0]}?" if close else "see docs/configuration.md for the keys"
            raise ConfigError(key, None, "unknown context key", fix)


class ContextReader:
    """Reads one key at a time from the context; a missing key says how to restore it."""

    def __init__(self, context: Mapping[str, Any]):
        self._context = context

    def raw(self, key: str) -> Any:
        if key not in self._context:
            raise ConfigError(key, None, "not set", f"restore the {key} default in cdk.json (git checkout cdk.json)")
        return self._context[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        return "" if value is None else str(value).strip()

    def matching(self, key: str, pattern: re.Pattern, what: str) -> str:
        value = self.text(key)
        if not pattern.match(value):
            raise ConfigError(key, value, "invalid", f"use {what}")
        return value

    def optional(self, key: str, pattern: re.Pattern, what: str) -> str | None:
        return self.matching(key, pattern, what) if self.text(key) else None

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in choices:
            raise ConfigError(key, value, "unknown value", f"use one of {', '.join(choices)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigError(key, value, "not a boolean", f"use true or false, e.g. -c {key}=true")

    def integer(self, key: str, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(key)
        text = str(value).strip()
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d+", text):
            raise ConfigError(key, value, "not a whole number", f"use a whole number {bounds}")
        number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            raise ConfigError(key, value, "out of range", f"use a whole number {bounds}")
        return number

    def number(self, key: str, minimum: float) -> float:
        value = self.raw(key)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(str(value).strip())
        except ValueError:
            raise ConfigError(key, value, "not a number", f"use a number >= {minimum:g}, e.g. -c {key}=25") from None
        if not minimum <= number < math.inf:  # also false for nan
            raise ConfigError(key, value, "out of range", f"use a number >= {minimum:g}")
        return number

    def optional_number(self, key: str, minimum: float) -> float | None:
        return self.number(key, minimum) if self.text(key) else None

    def items(self, key: str) -> tuple[str, ...]:
        """A list from cdk.json or a comma-separated string from `-c`; blanks dropped."""
        value = self.raw(key)
        parts = value if isinstance(value, list) else str(value or "").split(",")
        return tuple(p for p in (str(part).strip() for part in parts) if p)
