"""SSH to the EMR primary node: the key pair's private key from SSM into a private file, and the
ssh / Session Manager command lines."""
from __future__ import annotations

import os
from pathlib import Path

import botocore.exceptions

from wikilake.aws.emr import RECREATE_HINT, describe_cluster, require_active
from wikilake_core.contract import SSH_USER
from wikilake_core.errors import WikilakeError


def key_path(key_dir: Path, deployment: str) -> Path:
    return key_dir / f"wikilake-{deployment}.pem"


def fetch_private_key(ssm, parameter: str) -> str:
    """The PEM stored by the EC2 key pair in SSM (a SecureString, decrypted here)."""
    try:
        return ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise WikilakeError(f"the key pair's private key is not in SSM parameter {parameter}: "
                                "redeploy the processing stack") from None
        raise


def write_private_key(path: Path, pem: str) -> bool:
    """Write ``pem`` to ``path`` with mode 0600 from the first byte, atomically; False if the file
    already holds exactly this key with mode 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if (path.stat().st_mode & 0o777) == 0o600 and path.read_text() == pem:
            return False
    except FileNotFoundError:
        pass
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may only take bits away; make the mode exact
        with os.fdopen(fd, "w") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


def reachable_cluster(emr, cluster_id: str) -> dict:
    cluster = describe_cluster(emr, cluster_id)
    require_active(cluster, f"there is no primary node to connect to; {RECREATE_HINT}")
    return cluster


def primary_instance(emr, cluster_id: str) -> dict:
    """The primary node's instance (ListInstances, MASTER group)."""
    pages = emr.get_paginator("list_instances").paginate(
        ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])
    for page in pages:
        for instance in page["Instances"]:
            if instance.get("Status", {}).get("State") != "TERMINATED":
                return instance
    raise WikilakeError(f"cluster {cluster_id} has no running primary node yet")


def primary_host(emr, cluster: dict) -> str:
    """The primary node's public DNS name; its private address when it has none (private subnet)."""
    if cluster.get("MasterPublicDnsName"):
        return cluster["MasterPublicDnsName"]
    instance = primary_instance(emr, cluster["Id"])
    return instance.get("PrivateDnsName") or instance["PrivateIpAddress"]


def ssh_command(key: Path, host: str, extra: tuple[str, ...] = ()) -> list[str]:
    return ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=accept-new", *extra, f"{SSH_USER}@{host}"]


def ssm_command(instance_id: str, region: str, profile: str | None) -> list[str]:
    command = ["aws", "ssm", "start-session", "--target", instance_id, "--region", region]
    return command + (["--profile", profile] if profile else [])
