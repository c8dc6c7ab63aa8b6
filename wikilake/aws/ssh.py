"""SSH to the EMR primary node: the key pair's private key from SSM into a private file, and the
ssh / Session Manager command lines."""

from __future__ import annotations

import os
from pathlib import Path

import botocore.exceptions

from wikilake.aws.emr import ACTIVE, RECREATE_HINT, describe_cluster, require_active
from wikilake_core.contract import SSH_USER, TAG_RUN_DATASET, TAG_RUN_DT
from wikilake_core.errors import WikilakeError


def key_path(key_dir: Path, deployment: str) -> Path:
    return key_dir / f"wikilake-{deployment}.pem"


def fetch_private_key(ssm, parameter: str) -> str:
    """The PEM stored by the EC2 key pair in SSM (a SecureString, decrypted here)."""
    try:
        return ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise WikilakeError(
                f"the key pair's private key is not in SSM parameter {parameter}: redeploy the processing stack"
            ) from None
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


def reachable_cluster(emr, cluster_id: str, hint: str = RECREATE_HINT) -> dict:
    cluster = describe_cluster(emr, cluster_id)
    require_active(cluster, f"there is no primary node to connect to; {hint}")
    return cluster


def _tags(cluster: dict) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in cluster.get("Tags", [])}


def run_cluster(emr, dt: str, dataset: str | None = None) -> dict:
    """The active cluster of the run of ``dt`` (and ``dataset``), found by the tags the pipeline
    puts on it; a one-line error when there is none or more than one."""
    found = []
    for page in emr.get_paginator("list_clusters").paginate(ClusterStates=sorted(ACTIVE)):
        for summary in page["Clusters"]:
            cluster = describe_cluster(emr, summary["Id"])
            tags = _tags(cluster)
            if tags.get(TAG_RUN_DT) == dt and dataset in (None, tags.get(TAG_RUN_DATASET)):
                found.append(cluster)
    what = f"dt={dt}" + (f" of {dataset}" if dataset else "")
    if not found:
        raise WikilakeError(
            f"no active cluster of a run for {what}: a run's cluster exists only while "
            "the run is in its job step (`wikilake runs` shows the runs)"
        )
    if len(found) > 1:
        clusters = ", ".join(f"{c['Id']} ({_tags(c).get(TAG_RUN_DATASET, '?')})" for c in found)
        raise WikilakeError(
            f"{len(found)} active clusters of runs for {what}: {clusters}; pass --dataset or --cluster-id"
        )
    return found[0]


def ssh_allowed(ec2, cluster: dict) -> bool:
    """Whether a security group of the primary node lets port 22 in from somewhere: the stack adds
    that rule only for the configured ssh_cidrs."""
    attributes = cluster.get("Ec2InstanceAttributes", {})
    groups = [attributes.get("EmrManagedMasterSecurityGroup"), *attributes.get("AdditionalMasterSecurityGroups", [])]
    groups = [group for group in groups if group]
    if not groups:
        return False
    for group in ec2.describe_security_groups(GroupIds=groups)["SecurityGroups"]:
        for rule in group.get("IpPermissions", []):
            every_port = rule.get("IpProtocol") == "-1"
            port_22 = rule.get("IpProtocol") == "tcp" and rule.get("FromPort", 0) <= 22 <= rule.get("ToPort", -1)
            if (every_port or port_22) and (
                rule.get("IpRanges") or rule.get("Ipv6Ranges") or rule.get("PrefixListIds")
            ):
                return True
    return False


def primary_instance(emr, cluster_id: str) -> dict:
    """The primary node's instance (ListInstances, MASTER group)."""
    pages = emr.get_paginator("list_instances").paginate(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])
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
    return [
        "ssh",
        "-i",
        str(key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=accept-new",
        *extra,
        f"{SSH_USER}@{host}",
    ]


def ssm_command(
    instance_id: str, region: str, profile: str | None, document: tuple[str, str] | None = None
) -> list[str]:
    """``aws ssm start-session`` to the instance; ``document``: (name, parameters) of a
    Session Manager document, e.g. port forwarding."""
    command = ["aws", "ssm", "start-session", "--target", instance_id]
    if document:
        command += ["--document-name", document[0], "--parameters", document[1]]
    command += ["--region", region]
    return command + (["--profile", profile] if profile else [])


# The web UIs of the primary node: Spark History Server and YARN ResourceManager.
UI_PORTS = {"Spark History Server": 18080, "YARN ResourceManager": 8088}


def tunnel_forwards(host: str, local_ports: dict[str, int]) -> list[str]:
    """``-L local:host:remote`` per UI. The remote end is the primary's own name, not localhost:
    the ResourceManager listens on the node's hostname only."""
    return [arg for ui, remote in UI_PORTS.items() for arg in ("-L", f"{local_ports[ui]}:{host}:{remote}")]


def ssm_tunnel_commands(
    instance: dict, region: str, profile: str | None, local_ports: dict[str, int]
) -> list[list[str]]:
    """One Session Manager port-forwarding session per UI (a session forwards one port), to the
    primary's private name for the same reason as tunnel_forwards."""
    host = instance.get("PrivateDnsName") or instance["PrivateIpAddress"]
    return [
        ssm_command(
            instance["Ec2InstanceId"],
            region,
            profile,
            (
                "AWS-StartPortForwardingSessionToRemoteHost",
                f"host={host},portNumber={remote},localPortNumber={local_ports[ui]}",
            ),
        )
        for ui, remote in UI_PORTS.items()
    ]
