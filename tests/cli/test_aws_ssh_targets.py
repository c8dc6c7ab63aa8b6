"""`wikilake ssh` to the cluster of a run (--run, tags) or by id, and --tunnel to the web UIs."""

from __future__ import annotations

import pytest

from wikilake_core.contract import TAG_RUN_DATASET, TAG_RUN_DT, TAG_RUN_EXECUTION

KEY_NAME = "wikilake-Wikilake-dev.pem"
DT = "2024-03-15"


def run_cluster(clients, bucket: str, dataset: str, dt: str, *, ssh_from: str | None) -> str:
    """A run's cluster as the pipeline starts it: tagged, its primary in a security group that lets
    port 22 in from ``ssh_from`` only (no rule without CIDRs)."""
    group = clients.ec2.create_security_group(
        GroupName=f"primary-{dataset}-{dt}-{ssh_from}", Description="run primary"
    )["GroupId"]
    if ssh_from:
        clients.ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": ssh_from}]}],
        )
    cluster_id = clients.emr.run_job_flow(
        Name=f"wikilake-dev-{dataset}-{dt}",
        ReleaseLabel="emr-7.13.0",
        Applications=[{"Name": "Spark"}],
        JobFlowRole="wikilake-instance",
        ServiceRole="wikilake-emr",
        Instances={
            "InstanceGroups": [
                {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
            ],
            "AdditionalMasterSecurityGroups": [group],
            "Ec2KeyName": "wikilake-dev",
            "KeepJobFlowAliveWhenNoSteps": True,
        },  # the pipeline adds the step next
        Tags=[
            {"Key": TAG_RUN_DATASET, "Value": dataset},
            {"Key": TAG_RUN_DT, "Value": dt},
            {"Key": TAG_RUN_EXECUTION, "Value": f"arn:aws:states:us-east-1:123456789012:execution:p:{dt}"},
        ],
    )["JobFlowId"]
    return cluster_id


def dns(clients, cluster_id: str) -> str:
    return clients.emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]


def primary(clients, cluster_id: str) -> dict:
    [instance] = clients.emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"]
    return instance


def ssh_line(key, host: str, *options: str) -> str:
    return " ".join(
        [
            "ssh",
            "-i",
            str(key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            *options,
            f"hadoop@{host}",
        ]
    )


URLS = "Spark History Server: http://localhost:18080/\nYARN ResourceManager: http://localhost:8088/\n"


def test_run_finds_the_cluster_tagged_with_that_dt(wikilake, deployed, clients, aws_options, tmp_path):
    run_cluster(clients, deployed.bucket, "edits", "2024-03-14", ssh_from="203.0.113.7/32")
    wanted = run_cluster(clients, deployed.bucket, "pageviews", DT, ssh_from="203.0.113.7/32")

    code, out, err = wikilake("ssh", "--run", DT, "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 0, err
    assert out == ssh_line(tmp_path / KEY_NAME, dns(clients, wanted)) + "\n"


def test_two_datasets_on_one_dt_need_dataset(wikilake, deployed, clients, aws_options, tmp_path):
    edits = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from="203.0.113.7/32")
    pageviews = run_cluster(clients, deployed.bucket, "pageviews", DT, ssh_from="203.0.113.7/32")

    code, _, err = wikilake("ssh", "--run", DT, "--print", "--key-dir", str(tmp_path), *aws_options)
    assert code == 1 and err.count("\n") == 1
    assert f"2 active clusters of runs for dt={DT}: " in err and f"{edits} (edits)" in err
    assert f"{pageviews} (pageviews)" in err and "pass --dataset or --cluster-id" in err

    code, out, _ = wikilake(
        "ssh", "--run", DT, "--dataset", "edits", "--print", "--key-dir", str(tmp_path), *aws_options
    )
    assert code == 0 and out.endswith(f"hadoop@{dns(clients, edits)}\n")


def test_no_active_run_cluster(wikilake, deployed, clients, aws_options):
    ended = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from="203.0.113.7/32")
    clients.emr.terminate_job_flows(JobFlowIds=[ended])

    code, _, err = wikilake("ssh", "--run", DT, "--dataset", "edits", "--print", *aws_options)

    assert code == 1
    assert err.startswith(f"wikilake: error: no active cluster of a run for dt={DT} of edits: ")


def test_tunnel_forwards_both_uis_over_ssh(wikilake, deployed, clients, aws_options, tmp_path):
    cluster = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from="203.0.113.7/32")
    host = dns(clients, cluster)

    code, out, err = wikilake(
        "ssh", "--cluster-id", cluster, "--tunnel", "--print", "--key-dir", str(tmp_path), *aws_options
    )

    assert code == 0, err
    assert (
        out
        == ssh_line(tmp_path / KEY_NAME, host, "-N", "-L", f"18080:{host}:18080", "-L", f"8088:{host}:8088")
        + "\n"
        + URLS
    )


def test_tunnel_to_the_interactive_cluster_on_other_local_ports_runs_ssh(
    wikilake, deployed, clients, aws_options, tmp_path, monkeypatch
):
    import os

    executed = []
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(os, "execvp", lambda file, argv: executed.append(argv))
    host = dns(clients, deployed.cluster_id)

    code, out, err = wikilake(
        "ssh", "--tunnel", "--history-port", "28080", "--yarn-port", "28088", "--key-dir", str(tmp_path), *aws_options
    )

    assert code == 0, err
    assert executed == [
        ssh_line(tmp_path / KEY_NAME, host, "-N", "-L", f"28080:{host}:18080", "-L", f"28088:{host}:8088").split()
    ]
    assert out == ("Spark History Server: http://localhost:28080/\nYARN ResourceManager: http://localhost:28088/\n")


def test_without_an_ssh_cidr_ssh_is_refused(wikilake, deployed, clients, aws_options, tmp_path):
    cluster = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from=None)

    code, _, err = wikilake("ssh", "--run", DT, "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 1 and err.count("\n") == 1
    assert f"SSH to cluster {cluster} is closed" in err and "wikilake ssh --ssm" in err
    assert list(tmp_path.iterdir()) == []


def ssm_forward(instance: dict, remote: int, local: int) -> str:
    return (
        f"aws ssm start-session --target {instance['Ec2InstanceId']} --document-name "
        f"AWS-StartPortForwardingSessionToRemoteHost --parameters "
        f"host={instance['PrivateDnsName']},portNumber={remote},localPortNumber={local} "
        "--region us-east-1"
    )


def test_without_an_ssh_cidr_the_tunnel_uses_session_manager(wikilake, deployed, clients, aws_options, tmp_path):
    cluster = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from=None)
    instance = primary(clients, cluster)

    code, out, err = wikilake("ssh", "--run", DT, "--tunnel", "--print", "--key-dir", str(tmp_path), *aws_options)

    assert code == 0, err
    assert out == ssm_forward(instance, 18080, 18080) + "\n" + ssm_forward(instance, 8088, 8088) + "\n" + URLS
    assert list(tmp_path.iterdir()) == []  # no key needed


def test_session_manager_tunnel_runs_both_sessions_and_ends_them_together(
    wikilake, deployed, clients, aws_options, monkeypatch
):
    import subprocess

    cluster = run_cluster(clients, deployed.bucket, "edits", DT, ssh_from=None)
    instance = primary(clients, cluster)
    started = []

    class Session:
        """The first session ends at once with status 3; the other runs until terminated."""

        def __init__(self, argv):
            self.argv, self.returncode = argv, (3 if not started else None)
            self.terminated = False
            started.append(self)

        def poll(self):
            return self.returncode

        def terminate(self):
            self.terminated, self.returncode = True, -15

        def wait(self):
            return self.returncode

    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "Popen", Session)

    code, out, _ = wikilake("ssh", "--cluster-id", cluster, "--tunnel", *aws_options)

    assert code == 3 and out == URLS
    assert [" ".join(s.argv) for s in started] == [
        ssm_forward(instance, 18080, 18080),
        ssm_forward(instance, 8088, 8088),
    ]
    assert [s.terminated for s in started] == [False, True]


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (("--dataset", "edits"), 1, "wikilake: error: --dataset goes with --run <dt>"),
        (
            ("--run", DT, "--cluster-id", "j-1"),
            2,
            "wikilake ssh: error: argument --cluster-id: not allowed with argument --run (see wikilake ssh --help)",
        ),
        (
            ("--tunnel", "--yarn-port", "0"),
            2,
            "wikilake ssh: error: argument --yarn-port: not a TCP port: '0' (see wikilake ssh --help)",
        ),
    ],
)
def test_bad_options_in_one_line(wikilake, argv, code, message):
    assert wikilake("ssh", *argv) == (code, "", message + "\n")


def test_without_an_interactive_cluster_ssh_points_to_run_and_cluster_id(wikilake, deployed, clients, aws_options):
    from aws_stacks import redeploy

    from wikilake_core.contract import Outputs

    redeploy(
        clients.cloudformation,
        deployed,
        "processing",
        drop=[Outputs.CLUSTER_ID, Outputs.SSH_COMMAND, Outputs.PRIMARY_DNS],
    )

    assert wikilake("ssh", "--print", *aws_options) == (
        1,
        "",
        "wikilake: error: no interactive cluster is deployed: deploy one with -c "
        "interactive_cluster=true; or pass --run <dt> or --cluster-id\n",
    )
