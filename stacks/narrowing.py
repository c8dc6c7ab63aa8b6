"""Narrows what the CDK's and the configuration's declared types leave open where the app knows more,
with a clear error in place of passing a wrong value on.

The CDK declares a construct's default child as ``IConstruct | None`` (any construct may have none),
and the configuration declares a setting as optional when it may be left out; where the app built that
child, or where the configuration's own checks (wikilake_settings/rules.py) made that setting required,
these narrow the type by checking it.
"""

from __future__ import annotations

from typing import TypeVar

from constructs import IConstruct

from wikilake_settings.config import ConfigError

Child = TypeVar("Child")
Value = TypeVar("Value")


def default_child(construct: IConstruct, kind: type[Child]) -> Child:
    """``construct``'s default child (for an L2 construct, the CloudFormation resource it wraps) as ``kind``."""
    child = construct.node.default_child
    if not isinstance(child, kind):
        raise TypeError(f"{construct.node.path}: its default child is {type(child).__name__}, expected {kind.__name__}")
    return child


def required(value: Value | None, key: str, because: str) -> Value:
    """The optional setting ``key``'s value where the configuration's checks require it: ``because``
    says when (e.g. "with vpc_id"); a ConfigError naming the key if it is missing all the same."""
    if value is None:
        raise ConfigError(key, None, f"required {because}", f"set {key}")
    return value
