"""Run a Lambda handler from its staged asset folder alone: find the folder in the cloud assembly,
and call the handler in a fresh interpreter whose path holds that folder and the Lambda Python
runtime's libraries only (tests/infra/test_function_asset.py says why and what stays untested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# "Your code runs in an environment that includes the SDK for Python (Boto3)"
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html): boto3 and what it needs.
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}

# The fresh interpreter's program: argv = [asset folder, runtime folder], stdin = {"handler",
# "event"}; stdout = {"result"} or {"errorType", "errorMessage"} (as Lambda reports a function
# error), plus "outsiders": modules it loaded from anywhere but the asset, the runtime and the
# standard library. An import error is not caught: the interpreter exits non-zero with the traceback.
_CHILD = """
import importlib, json, os, sys
asset, runtime = sys.argv[1], sys.argv[2]
sys.path[:0] = [asset, runtime]
request = json.load(sys.stdin)
module_name, _, name = request["handler"].rpartition(".")
handler = getattr(importlib.import_module(module_name), name)
try:
    answer = {"result": handler(request["event"], None)}
except Exception as err:
    answer = {"errorType": type(err).__name__, "errorMessage": str(err)}
roots = (asset + os.sep, runtime + os.sep, os.path.dirname(os.__file__) + os.sep)
answer["outsiders"] = sorted(
    f"{m.__name__}: {m.__file__}" for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and not m.__file__.startswith(roots)
)
print(json.dumps(answer, default=str))
"""


@dataclass(frozen=True)
class PythonFunction:
    """One AWS::Lambda::Function with a Python runtime, as a template declares it."""

    template: Path
    logical_id: str
    handler: str
    asset: Path  # the staged folder its zip is made of
    environment: dict  # the template's variables, intrinsics unresolved

    @property
    def where(self) -> str:
        return f"{self.template.name} {self.logical_id} ({self.handler})"


def python_functions(outdir: Path) -> list[PythonFunction]:
    """Every Python function of every template in the cloud assembly, nested stage assemblies too."""
    templates = sorted([*outdir.glob("*.template.json"), *outdir.glob("assembly-*/*.template.json")])
    found = []
    for template in templates:
        for logical_id, resource in json.loads(template.read_text())["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] != "AWS::Lambda::Function" or not properties.get("Runtime", "").startswith("python"):
                continue
            found.append(
                PythonFunction(
                    template,
                    logical_id,
                    properties["Handler"],
                    asset_folder(template, properties["Code"]),
                    properties.get("Environment", {}).get("Variables", {}),
                )
            )
    return found


def asset_folder(template: Path, code: dict) -> Path:
    """The folder `cdk deploy` zips for this code: the stack's asset manifest maps the S3 key's hash
    to the source staged in the cloud assembly."""
    manifest = template.with_name(template.name.replace(".template.json", ".assets.json"))
    asset_hash = code["S3Key"].removesuffix(".zip")
    source = json.loads(manifest.read_text())["files"][asset_hash]["source"]
    assert source["packaging"] == "zip", f"{template.name}: code {asset_hash} is not a zipped folder"
    folder = (manifest.parent / source["path"]).resolve()
    assert folder.is_dir(), f"{template.name}: asset folder {folder} is missing"
    return folder


def link_runtime_libraries(folder: Path) -> Path:
    """A folder of links to the venv's copies of exactly what the Lambda Python runtime ships."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_LIBRARIES:
        spec = importlib.util.find_spec(name)
        target = Path(spec.submodule_search_locations[0]) if spec.submodule_search_locations else Path(spec.origin)
        (folder / target.name).symlink_to(target, target_is_directory=target.is_dir())
    return folder


def invoke(function: PythonFunction, runtime: Path, event: dict, environment: dict, *, endpoint: str, region: str):
    """Call the function's handler with ``event`` as Lambda would, in a fresh interpreter that
    sees the asset and the runtime only, its AWS calls going to ``endpoint``. Returns the
    handler's answer ({"result"} or {"errorType", "errorMessage"})."""
    env = {
        **FAKE_AWS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **environment,
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _CHILD, str(function.asset), str(runtime)],
        input=json.dumps({"handler": function.handler, "event": event}),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{function.where} failed to run from its asset:\n{done.stderr[-3000:]}"
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["outsiders"] == [], f"{function.where} loaded code from outside its asset: {answer['outsiders']}"
    return answer
