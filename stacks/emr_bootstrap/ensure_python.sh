#!/bin/bash
# EMR bootstrap action: make sure the interpreter PYSPARK_PYTHON points at exists on this node.
# Runs on every node before applications start; a no-op when the release already ships it.
set -euo pipefail
python="$1"  # e.g. /usr/bin/python3.11 (from wikilake_core/release_labels.py)
if [ -x "$python" ]; then
  exit 0
fi
# On Amazon Linux 2023 the package is named like the binary (python3.11).
sudo dnf install -y "$(basename "$python")"
"$python" --version
