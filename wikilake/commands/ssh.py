"""`wikilake ssh`: open (or print) an SSH session to the EMR primary node."""
from __future__ import annotations

import argparse
from pathlib import Path

from wikilake.commands.common import add_aws_options, shell_words
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Connect to the EMR cluster's primary node as `hadoop`.

The key pair's private key is read from SSM Parameter Store (the parameter the processing
stack outputs, decrypted) into ~/.ssh/wikilake-<prefix>-<stage>.pem, created with mode 0600
so it is never readable by others, not even for a moment; it is never printed. Then ssh runs
in place of this command (or --print shows the command instead). SSH is allowed only from the
CIDRs configured at deploy time.

--ssm prints the AWS Systems Manager Session Manager alternative instead: no key, no open port
22, access governed by IAM (needs the session-manager-plugin for the AWS CLI).
"""

EPILOG = """\
examples:
  wikilake ssh
  wikilake ssh --print                                    # just show the ssh command
  wikilake ssh --ssh-args='-L 18080:localhost:18080'      # Spark history server on localhost:18080
  wikilake ssh --ssm                                      # Session Manager command instead
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ssh", help="SSH to the EMR primary node (key from SSM, mode 0600), or print how",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--print", dest="print_only", action="store_true",
                      help="print the ssh command instead of running it")
    mode.add_argument("--ssm", action="store_true",
                      help="print the `aws ssm start-session` command for the primary node")
    parser.add_argument("--key-dir", type=Path, default=Path("~/.ssh"), metavar="DIR",
                        help="where to keep the private key (default: ~/.ssh)")
    parser.add_argument("--key-file", type=Path, metavar="PEM",
                        help="use this private key instead (needed when the stack was deployed with "
                             "your own key pair, -c key_pair_name=...)")
    parser.add_argument("--ssh-args", default="", metavar="'ARGS'",
                        help="extra ssh options, shell-quoted: --ssh-args='-L 8088:localhost:8088'")
    add_aws_options(parser)
    parser.set_defaults(func=_ssh)


def _ssh(args) -> int:
    import os
    import shlex
    import shutil

    from wikilake.aws import ssh
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs

    extra = shell_words(args.ssh_args, "--ssh-args")
    with aws_errors():
        aws = AwsContext.from_args(args)
        emr = aws.client("emr")
        cluster = ssh.reachable_cluster(emr, aws.outputs.require(Outputs.CLUSTER_ID))
        if args.ssm:
            instance = ssh.primary_instance(emr, cluster["Id"])
            print(shlex.join(ssh.ssm_command(instance["Ec2InstanceId"], aws.region, aws.profile)))
            return 0
        _require_ssh_enabled(aws.outputs.get(Outputs.SSH_COMMAND))
        host = ssh.primary_host(emr, cluster)
        key = _private_key(aws, args.key_file, args.key_dir.expanduser())
    command = ssh.ssh_command(key, host, extra)
    if args.print_only:
        print(shlex.join(command))
        return 0
    if shutil.which("ssh") is None:
        raise WikilakeError("ssh is not installed: install OpenSSH, or use `wikilake ssh --ssm`")
    os.execvp("ssh", command)
    return 0  # not reached: ssh replaced this process


def _require_ssh_enabled(stack_ssh_command: str | None) -> None:
    """The stack outputs how to SSH, or why SSH is off (no CIDR allowed in)."""
    if stack_ssh_command and not stack_ssh_command.startswith("ssh "):
        raise WikilakeError(f"{stack_ssh_command}; or use `wikilake ssh --ssm`")


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
        raise WikilakeError(f"the cluster uses your own EC2 key pair {name!r} and {key} does not exist: "
                            "pass --key-file PATH")
    return key
