"""`cdk synth` of the AWS app for the demo, in the environment `make` gives cdk; a failure is one
line naming the log."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from wikilake.local.demo_steps import Steps
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import PROJECT_ROOT

SYNTH_TIMEOUT_SECONDS = 600


def synth_environment() -> dict[str, str]:
    """The environment `make` gives cdk: the venv's Python and Node first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    node_bin = str(PROJECT_ROOT / "node_modules" / ".bin")
    return {
        **os.environ,
        "PATH": os.pathsep.join([venv_bin, node_bin, os.environ.get("PATH", "")]),
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }


def synth(log_path: Path, steps: Steps) -> list[str]:
    """`npx cdk synth` of the CDK app into cdk.out/; returns the synthesized stack names."""
    env = synth_environment()
    npx = shutil.which("npx", path=env["PATH"])
    if npx is None:
        raise WikilakeError("npx not found: run `make setup` (it installs Node into .venv)")
    if not (PROJECT_ROOT / "cdk.json").is_file():
        raise WikilakeError(f"no CDK app: {PROJECT_ROOT / 'cdk.json'} is missing")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with steps.step("cdk synth (CloudFormation templates -> cdk.out/)"), log_path.open("w") as log:
        try:
            done = subprocess.run(
                [npx, "--no-install", "cdk", "synth", "--quiet"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=SYNTH_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise WikilakeError(f"cdk synth took over {SYNTH_TIMEOUT_SECONDS} s; see {log_path}") from None
    if done.returncode != 0:
        lines = [line for line in log_path.read_text().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise WikilakeError(f"cdk synth failed (exit {done.returncode}): {last} — full log: {log_path}")
    return sorted(p.name.removesuffix(".template.json") for p in (PROJECT_ROOT / "cdk.out").glob("*.template.json"))
