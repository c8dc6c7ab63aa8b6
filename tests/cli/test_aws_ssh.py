"""`wikilake ssh` against moto: the private key file (0600, never shown) and the commands."""

from __future__ import annotations

import os
import stat

import pytest
from aws_stacks import FAKE_PRIVATE_KEY, redeploy

from wikilake_core.contract import Outputs

KEY_NAME = "wikilake-Wikilake-dev.pem"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_key_not_shown(*texts: str) -> None:
    for line in FAKE_PRIVATE_KEY.strip().splitlines()[1:-1]:
        assert all(line not in text for text in texts)


def test_print_writes_the_key_0600_and_shows_the_command(wikilake, deployed, clients, aws_options, tmp_path):
    key_dir = tmp_path / "ssh"
    code, out, err = wikilake("ssh", "--print", "--key-dir", str(key_dir), *aws_options)

    assert code == 0, err
    key = key_dir / KEY_NAME
    assert key.read_text() == FAKE_PRIVATE_KEY
    assert mode(key) == 0o600 and mode(key_dir) == 0o700
    assert_key_not_shown(out, err)
    dns = clients.emr.describe_cluster(ClusterId=deployed.cluster_id)["Cluster"]["MasterPublicDnsName"]
    assert out.strip() == (f"ssh -i {key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new hadoop@{dns}")
    assert list(key_dir.iterdir()) == [key]  # no temporary file left


def test_the_key_is_private_from_its_first_byte(wikilake, deployed, aws_options, tmp_path, monkeypatch):
    """Even with umask 000, the file is created 0600 (never world-readable, not even briefly)."""
    created_modes = []
    real_open = os.open

    def spying_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT:
            created_modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(os, "open", spying_open)
    old_umask = os.umask(0)
    try:
        assert wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)[0] == 0
    finally:
        os.umask(old_umask)
    assert created_modes == [0o600]
    assert mode(tmp_path / KEY_NAME) == 0o600


def test_a_stale_or_loose_key_file_is_replaced(wikilake, deployed, aws_options, tmp_path):
    key = tmp_path / KEY_NAME
    key.write_text("old key\n")
    key.chmod(0o644)

    assert wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)[0] == 0

    assert key.read_text() == FAKE_PRIVATE_KEY and mode(key) == 0o600
    written = key.stat().st_mtime_ns
    assert wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)[0] == 0
    assert key.stat().st_mtime_ns == written  # same key: left alone


def test_without_print_ssh_replaces_the_process(wikilake, deployed, aws_options, tmp_path, monkeypatch):
    executed = []
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(os, "execvp", lambda file, argv: executed.append((file, argv)))

    code, out, err = wikilake("ssh", "--key-dir", str(tmp_path), "--ssh-args=-L 18080:localhost:18080", *aws_options)

    assert code == 0
    [(program, argv)] = executed
    assert program == "ssh" and argv[:3] == ["ssh", "-i", str(tmp_path / KEY_NAME)]
    assert argv[-3:-1] == ["-L", "18080:localhost:18080"] and argv[-1].startswith("hadoop@")
    assert_key_not_shown(out, err)


def test_ssm_prints_the_session_manager_command_for_the_primary_instance(
    wikilake, deployed, clients, aws_options, tmp_path
):
    code, out, err = wikilake("ssh", "--ssm", "--key-dir", str(tmp_path), *aws_options)

    assert code == 0, err
    [primary] = clients.emr.list_instances(ClusterId=deployed.cluster_id, InstanceGroupTypes=["MASTER"])["Instances"]
    assert out.strip() == f"aws ssm start-session --target {primary['Ec2InstanceId']} --region us-east-1"
    assert list(tmp_path.iterdir()) == []  # no key needed


def test_a_terminated_cluster_has_no_node_to_reach(wikilake, deployed, clients, aws_options, tmp_path):
    clients.emr.terminate_job_flows(JobFlowIds=[deployed.cluster_id])

    code, _, err = wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 1
    assert f"cluster {deployed.cluster_id} is TERMINATED" in err and "no primary node" in err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_key_parameter(wikilake, deployed, clients, aws_options, tmp_path):
    clients.ssm.delete_parameter(Name=deployed.outputs["KeyPairPrivateKeySsmParameter"])

    code, _, err = wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 1 and "private key is not in SSM parameter /ec2/keypair/" in err


def test_with_your_own_key_pair_the_key_comes_from_your_key_folder(wikilake, deployed, clients, aws_options, tmp_path):
    redeploy(
        clients.cloudformation,
        deployed,
        "processing",
        drop=[Outputs.KEY_PAIR_SSM_PARAMETER],
        **{Outputs.KEY_PAIR_NAME: "team-key"},
    )

    code, _, err = wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)
    assert code == 1 and "your own EC2 key pair 'team-key'" in err and "--key-file" in err

    (tmp_path / "team-key.pem").write_text("mine")
    code, out, err = wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)
    assert code == 0 and f"-i {tmp_path / 'team-key.pem'} " in out

    code, out, err = wikilake("ssh", "--print", "--key-file", str(tmp_path / "team-key.pem"), *aws_options)
    assert code == 0 and f"-i {tmp_path / 'team-key.pem'} " in out


def test_ssh_disabled_by_the_stack_points_to_session_manager(wikilake, deployed, clients, aws_options, tmp_path):
    disabled = "SSH is disabled: redeploy with -c ssh_cidrs=<your-ip>/32 (or use SSM Session Manager)"
    redeploy(clients.cloudformation, deployed, "processing", **{Outputs.SSH_COMMAND: disabled})

    code, _, err = wikilake("ssh", "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 1 and err == f"wikilake: error: {disabled}; or use `wikilake ssh --ssm`\n"
    assert wikilake("ssh", "--ssm", *aws_options)[0] == 0


@pytest.mark.parametrize("flags", [("--print", "--ssm")])
def test_print_and_ssm_exclude_each_other(flags, wikilake):
    assert wikilake("ssh", *flags) == (
        2,
        "",
        "wikilake ssh: error: argument --ssm: not allowed with argument --print (see wikilake ssh --help)\n",
    )
