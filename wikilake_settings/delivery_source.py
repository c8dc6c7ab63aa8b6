"""Where the opt-in delivery pipeline (docs/delivery.md) takes the app from: its context keys,
read together (both repository and connection, or none) and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wikilake_settings.context_reader import ConfigError, ContextReader

# Empty repository and connection: no delivery stack.
DELIVERY_KEYS = ("delivery_repo", "delivery_connection_arn", "delivery_branch")
# GitHub: owner 1-39 letters, digits, hyphens; repository 1-100 letters, digits, '.', '_', '-'.
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# Connections were renamed CodeConnections in 2024; ARNs of either service name are accepted.
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
# A git branch name without the forms git refuses (.., leading '-' or '/', trailing '/' or '.lock').
_BRANCH = re.compile(r"^(?![-/])(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![/.])(?<!\.lock)$")


@dataclass(frozen=True)
class DeliverySource:
    """A GitHub repository reached through a CodeStar (CodeConnections) connection."""

    repo: str  # OWNER/NAME
    connection_arn: str
    branch: str


def delivery_source(read: ContextReader) -> DeliverySource | None:
    """None when neither delivery_repo nor delivery_connection_arn is set (delivery_branch is read
    only then); a ConfigError when one is missing or a value is invalid."""
    repo = read.text("delivery_repo")
    connection = read.text("delivery_connection_arn")
    if not repo and not connection:
        return None
    if not (repo and connection):
        missing = "delivery_connection_arn" if repo else "delivery_repo"
        raise ConfigError(
            missing,
            None,
            "delivery_repo and delivery_connection_arn go together",
            "set both to deploy the delivery pipeline (docs/delivery.md), or neither",
        )
    if not _GITHUB_REPO.match(repo) or repo.endswith((".git", "/.", "/..")):
        raise ConfigError(
            "delivery_repo", repo, "invalid", "use the GitHub repository as OWNER/NAME, e.g. my-org/wikilake"
        )
    if not _CONNECTION_ARN.match(connection):
        raise ConfigError(
            "delivery_connection_arn",
            connection,
            "invalid",
            "use the ARN of an AVAILABLE connection, "
            "arn:aws:codeconnections:<region>:<account>:connection/<uuid> (docs/delivery.md)",
        )
    branch = read.matching("delivery_branch", _BRANCH, "a branch name like main")
    # The integration run downloads from Wikimedia's dump site, which wants to know who asks.
    if not read.text("contact"):
        raise ConfigError(
            "contact",
            None,
            "the delivery pipeline's integration run downloads from dumps.wikimedia.org, which wants a contact",
            "set -c contact=<URL or e-mail> (docs/ingest.md)",
        )
    return DeliverySource(repo=repo, connection_arn=connection, branch=branch)
