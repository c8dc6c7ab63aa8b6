"""AWS access for the CLI: one boto3 session, its clients and the deployed stacks' outputs.

Every AWS verb builds an ``AwsContext`` from the common options (``--region --profile
--endpoint-url --stack-prefix --stage``) and wraps its work in ``aws_errors()`` so botocore's
exceptions reach the user as one-line ``WikilakeError`` messages.
"""

from __future__ import annotations

import contextlib
import os
from functools import cached_property

import boto3
import botocore.config
import botocore.exceptions

from wikilake.aws.stack import StackOutputs, read_stack_outputs
from wikilake_core import contract
from wikilake_core.aws_errors import describe_client_error, one_line
from wikilake_core.errors import WikilakeError

# Standard retry mode backs off on throttling and transient errors for every call we make.
CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 5},
    user_agent_appid="wikilake",
)

NO_CREDENTIALS = (
    "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
    "or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
)
NO_REGION = "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or set a region in your profile"
# The AWS CLI v2 and the SDKs read AWS_REGION before AWS_DEFAULT_REGION (AWS SDKs and Tools
# Reference Guide, "AWS Region", docs.aws.amazon.com/sdkref/latest/guide/feature-region.html, and
# the AWS CLI's environment variables page, cli-configure-envvars.html); botocore reads only
# AWS_DEFAULT_REGION, so the CLI looks at AWS_REGION itself.
REGION_VARIABLE = "AWS_REGION"


class AwsContext:
    """A boto3 session bound to one deployment (stack prefix + stage), with cached clients."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        endpoint_url: str | None = None,
        stack_prefix: str = contract.DEFAULT_STACK_PREFIX,
        stage: str = "dev",
    ):
        self.session = session
        self.endpoint_url = endpoint_url
        self.stack_prefix = stack_prefix
        self.stage = stage
        self.stack_names = contract.stack_names(stack_prefix, stage)
        self._clients: dict[str, object] = {}

    @classmethod
    def from_args(cls, args, *, stack_prefix: str | None = None, stage: str | None = None) -> AwsContext:
        """Build from parsed ``add_aws_options`` arguments (``stack_prefix``/``stage`` given: in
        place of --stack-prefix/--stage); fails early without credentials/region."""
        try:
            session = boto3.Session(profile_name=args.profile, region_name=chosen_region(args.region))
        except botocore.exceptions.ProfileNotFound as err:
            raise WikilakeError(f"{err}: check --profile or AWS_PROFILE") from None
        if session.region_name is None:
            raise WikilakeError(NO_REGION)
        try:
            credentials = session.get_credentials()
        except botocore.exceptions.BotoCoreError as err:  # partial env vars, expired SSO token, ...
            raise WikilakeError(one_line(f"cannot load AWS credentials: {err}")) from None
        if credentials is None:
            raise WikilakeError(NO_CREDENTIALS)
        return cls(
            session,
            endpoint_url=args.endpoint_url,
            stack_prefix=stack_prefix or args.stack_prefix,
            stage=stage or args.stage,
        )

    @property
    def region(self) -> str:
        return self.session.region_name

    @property
    def profile(self) -> str | None:
        # boto3 reports "default" when no profile was chosen; only a chosen one is worth echoing.
        profile = self.session.profile_name
        return None if profile == "default" else profile

    @property
    def deployment(self) -> str:
        """Short name of this deployment, e.g. ``Wikilake-dev``."""
        return f"{self.stack_prefix}-{self.stage}"

    def client(self, service: str):
        """A cached client (boto3 clients are thread-safe; sessions are not)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
        return self._clients[service]

    @cached_property
    def outputs(self) -> StackOutputs:
        """The merged CfnOutputs of the deployment's stacks (read once)."""
        return read_stack_outputs(self.client("cloudformation"), self.stack_names, self.region)


def chosen_region(flag: str | None) -> str | None:
    """--region, else AWS_REGION; None lets botocore go on to AWS_DEFAULT_REGION, then the profile.

    So: --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region, the AWS CLI v2's order."""
    return flag or os.environ.get(REGION_VARIABLE, "").strip() or None


@contextlib.contextmanager
def aws_errors():
    """Turn botocore's exceptions raised inside the block into one-line WikilakeErrors."""
    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise WikilakeError(NO_CREDENTIALS) from None
    except botocore.exceptions.NoRegionError:
        raise WikilakeError(NO_REGION) from None
    except botocore.exceptions.ClientError as err:
        raise WikilakeError(describe_client_error(err)) from None
    except botocore.exceptions.EndpointConnectionError as err:
        raise WikilakeError(
            one_line(f"cannot reach {err.kwargs.get('endpoint_url')}: check --region/--endpoint-url and your network")
        ) from None
    except botocore.exceptions.BotoCoreError as err:
        raise WikilakeError(one_line(f"AWS: {err}")) from None
