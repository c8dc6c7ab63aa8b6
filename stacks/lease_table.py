"""LeaseTable: a DynamoDB table of leases (named, expiring holds) taken with conditional writes.

Generic: an item is one lease, `lease_id` (S) its name, `expires_at` (N, epoch seconds) when it
lapses. Holders check `expires_at` in their condition expressions (DynamoDB's TTL deletion is
lazy, up to days late); TTL only sweeps lapsed items away. The pipeline's download slots
(functions/wikilake_functions/lease.py) are its first user.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks import nag
from wikilake_core.leases import EXPIRES_AT, LEASE_ID


class LeaseTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, data_key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=LEASE_ID, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=EXPIRES_AT,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED if data_key else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=data_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # Leases last minutes: nothing in the table outlives the stack's runs.
            removal_policy=RemovalPolicy.DESTROY,
        )
        if not data_key:
            nag.skip_checkov(
                self.table,
                "CKV_AWS_119",
                "kms=false (the dev default): the table holds lease names, execution ARNs and expiry "
                "times, no lake data, encrypted with the AWS managed key aws/dynamodb; kms=true encrypts "
                "it with the data key.",
            )

    def grant_hold(self, grantee: iam.IGrantable) -> None:
        """Take and give back leases: conditional UpdateItem and DeleteItem, on this table only
        (with kms=true the grantee also needs the data key, which the pipeline's functions have)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="HoldLeases",
                actions=["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[self.table.table_arn],
            )
        )

    def grant_release(self, grantee: iam.IGrantable) -> None:
        """Only give leases back (a conditional DeleteItem), on this table only."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(sid="ReleaseLeases", actions=["dynamodb:DeleteItem"], resources=[self.table.table_arn])
        )
