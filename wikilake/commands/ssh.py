"""`wikilake ssh`: an SSH session (or a tunnel to the web UIs) to an EMR primary node."""

from __future__ import annotations

import argparse
from pathlib import Path

from wikilake.commands.common import add_aws_options, shell_words
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Connect to an EMR cluster's primary node as `hadoop`: the interactive cluster (deployed with
-c interactive_cluster=true), the cluster of a running pipeline execution (--run <dt>, found
by the tags the pipeline puts on it; --dataset when two datasets run that dt), or any
cluster by id (--cluster-id).

The key pair's private key is read from SSM Parameter Store (the parameter the processing
stack outputs, decrypted) into ~/.ssh/wikilake-<prefix>-<stage>.pem, created with mode 0600
so it is never readable by others, not even for a moment; it is never printed. Then ssh runs
in place of this command (or --print shows the command instead). SSH is allowed only from the
CIDRs configured at deploy time (-c ssh_cidrs=...).

--tunnel forwards the primary node's Spark History Server (port 18080) and YARN
ResourceManager (port 8088) to local ports and prints their URLs; it runs until Ctrl-C. When
no CIDR may SSH in, the tunnel goes through SSM Session Manager instead (one port-forwarding
session per UI; needs the AWS CLI's session-manager-plugin).

--ssm prints the Session Manager command(s) instead: no key, no open port 22, access
governed by IAM.

Exit status: 0 when the command was printed or the session/tunnel ended normally; ssh's own
exit status otherwise; 1 with one line when there is no cluster to reach.
"""

EPILOG = """\
examples:
  wikilake ssh                                            # the interactive cluster
  wikilake ssh --run 2024-03-15                           # the cluster of that dt's running run
  wikilake ssh --run 2024-03-15 --dataset pageviews --tunnel
  wikilake ssh --cluster-id j-2AXXXXXXGAPLF --print       # just show the ssh command
  wikilake ssh --tunnel --history-port 28080 --yarn-port 28088
  wikilake ssh --ssm                                      # Session Manager command instead
"""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return port


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ssh",
        help="SSH (or --tunnel to the web UIs) to an EMR primary node, or print how",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--run", metavar="YYYY-MM-DD", help="the cluster of the running run of this dt")
    target.add_argument("--cluster-id", metavar="ID", help="this cluster")
    parser.add_argument("--dataset", choices=DATASETS, help="with --run: the run of this dataset")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--print", dest="print_only", action="store_true", help="print the ssh command instead of running it"
    )
    mode.add_argument(
        "--ssm", action="store_true", help="print the `aws ssm start-session` command(s) for the primary node"
    )
    tunnel = parser.add_argument_group("tunnel")
    tunnel.add_argument(
        "--tunnel", action="store_true", help="forward the Spark History Server and YARN ResourceManager UIs"
    )
    tunnel.add_argument(
        "--history-port",
        type=_port,
        default=18080,
        metavar="PORT",
        help="local port of the Spark History Server (default 18080)",
    )
    tunnel.add_argument(
        "--yarn-port",
        type=_port,
        default=8088,
        metavar="PORT",
        help="local port of the YARN ResourceManager (default 8088)",
    )
    parser.add_argument(
        "--key-dir",
        type=Path,
        default=Path("~/.ssh"),
        metavar="DIR",
        help="where to keep the private key (default: ~/.ssh)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        metavar="PEM",
        help="use this private key instead (needed when the stack was deployed with "
        "your own key pair, -c key_pair_name=...)",
    )
    parser.add_argument(
        "--ssh-args",
        default="",
        metavar="'ARGS'",
        help="extra ssh options, shell-quoted: --ssh-args='-L 4040:localhost:4040'",
    )
    add_aws_options(parser)
    parser.set_defaults(func=_ssh)


def _ssh(args) -> int:
    import shlex
    import sys

    from wikilake.aws import ssh
    from wikilake.aws.session import AwsContext, aws_errors

    if args.dataset and not args.run:
        raise WikilakeError("--dataset goes with --run <dt>")
    extra = shell_words(args.ssh_args, "--ssh-args")
    local_ports = {"Spark History Server": args.history_port, "YARN ResourceManager": args.yarn_port}
    with aws_errors():
        aws = AwsContext.from_args(args)
        emr = aws.client("emr")
        cluster, closed = _target(aws, emr, args)
        if args.ssm or (args.tunnel and closed):
            instance = ssh.primary_instance(emr, cluster["Id"])
            if not args.tunnel:
                print(shlex.join(ssh.ssm_command(instance["Ec2InstanceId"], aws.region, aws.profile)))
                return 0
            commands = ssh.ssm_tunnel_commands(instance, aws.region, aws.profile, local_ports)
            if args.print_only or args.ssm:
                print("\n".join(shlex.join(command) for command in commands))
                _print_urls(local_ports)
                return 0
            _print_urls(local_ports)
            return _run_together(commands)
        if closed:
            raise WikilakeError(closed)
        host = ssh.primary_host(emr, cluster)
        key = _private_key(aws, args.key_file, args.key_dir.expanduser())
    forwards = ["-N", *ssh.tunnel_forwards(host, local_ports)] if args.tunnel else []
    command = ssh.ssh_command(key, host, (*forwards, *extra))
    if args.print_only:
        print(shlex.join(command))
    if args.tunnel:
        _print_urls(local_ports)
    if args.print_only:
        return 0
    sys.stdout.flush()
    _exec(command)
    return 0  # not reached: ssh replaced this process


def _target(aws, emr, args) -> tuple[dict, str]:
    """The cluster to reach, and why SSH to it is closed ("" when open)."""
    from wikilake.aws import emr as emr_ops
    from wikilake.aws import ssh
    from wikilake_core.contract import Outputs

    if args.run or args.cluster_id:
        from wikilake_core.dates import parse_date

        hint = "check the id with `aws emr list-clusters --active`"
        cluster = (
            ssh.run_cluster(emr, parse_date(args.run), args.dataset)
            if args.run
            else ssh.reachable_cluster(emr, args.cluster_id, hint)
        )
        if ssh.ssh_allowed(aws.client("ec2"), cluster):
            return cluster, ""
        return cluster, (
            f"SSH to cluster {cluster['Id']} is closed (no security group of its primary "
            "node lets port 22 in: deploy with -c ssh_cidrs=<your-ip>/32); use "
            "`wikilake ssh --ssm` or --tunnel (Session Manager)"
        )
    cluster = ssh.reachable_cluster(
        emr,
        emr_ops.interactive_cluster_id(
            aws.outputs, aws.stack_names["processing"], "or pass --run <dt> or --cluster-id"
        ),
    )
    # The stack outputs how to SSH to the interactive cluster, or why SSH is off (no CIDR).
    stack_ssh_command = aws.outputs.get(Outputs.SSH_COMMAND)
    if stack_ssh_command and not stack_ssh_command.startswith("ssh "):
        return cluster, f"{stack_ssh_command}; or use `wikilake ssh --ssm`"
    return cluster, ""


def _print_urls(local_ports: dict[str, int]) -> None:
    for ui, port in local_ports.items():
        print(f"{ui}: http://localhost:{port}/")


def _exec(command: list[str]) -> None:
    import os
    import shutil

    if shutil.which(command[0]) is None:
        raise WikilakeError(f"{command[0]} is not installed: install OpenSSH, or use `wikilake ssh --ssm`")
    os.execvp(command[0], command)


def _run_together(commands: list[list[str]]) -> int:
    """Run the port-forwarding sessions side by side until one ends or Ctrl-C; end the others."""
    import shutil
    import subprocess
    import sys
    import time

    if shutil.which("aws") is None:
        raise WikilakeError("the AWS CLI is not installed: it runs the Session Manager sessions")
    sys.stdout.flush()
    processes = [subprocess.Popen(command) for command in commands]
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return next(process.returncode for process in processes if process.returncode is not None)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()


def _private_key(aws, key_file: Path | None, key_dir: Path) -> Path:
    """--key-file, else the key pair's private key from SSM (stack-created key pair), else
    <key pair name>.pem in the key folder (your own key pair)."""
    from wikilake.aws import ssh
    from wikilake_core.contract import Outputs

    if key_file is not None:
        if not key_file.expanduser().is_file():
            raise WikilakeError(f"no such key file: {key_file}")
        return key_file.expanduser()
    parameter = aws.outputs.get(Outputs.KEY_PAIR_SSM_PARAMETER)
    if parameter:
        key = ssh.key_path(key_dir, aws.deployment)
        ssh.write_private_key(key, ssh.fetch_private_key(aws.client("ssm"), parameter))
        return key
    name = aws.outputs.require(Outputs.KEY_PAIR_NAME)
    key = key_dir / f"{name}.pem"
    if not key.is_file():
        raise WikilakeError(
            f"the cluster uses your own EC2 key pair {name!r} and {key} does not exist: pass --key-file PATH"
        )
    return key
