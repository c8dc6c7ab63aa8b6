"""AWS errors as one line: what the CLI and the functions print when a call to AWS fails."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core imports no AWS SDK: it also ships with the Spark jobs
    import botocore.exceptions


def one_line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def describe_client_error(err: botocore.exceptions.ClientError) -> str:
    error = err.response.get("Error", {})
    code = error.get("Code", "Error")
    message = error.get("Message") or str(err)
    return one_line(f"AWS {err.operation_name} failed: {code}: {message}")
