"""The ONE EMR cluster definition: every setting of the cluster the app runs, whether it is the
opt-in interactive cluster (CloudFormation ``AWS::EMR::Cluster``, rendered by
stacks/emr_cluster.py) or the transient cluster of each pipeline run (the ``RunJobFlow``
request the state machine sends, rendered here).

The values may be CDK tokens (role names, security group ids, asset URLs): the stack builds one
definition and both renderings resolve them the same way. No aws_cdk import here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

GLUE_METASTORE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
# The transient cluster's backstop: idle this long (no step running) -> EMR terminates it.
TRANSIENT_IDLE_TIMEOUT_SECONDS = 15 * 60
# A failed job step ends the transient cluster (no one needs it for debugging: logs are in S3).
TRANSIENT_ACTION_ON_FAILURE = "TERMINATE_CLUSTER"


@dataclass(frozen=True)
class InstanceGroup:
    role: str  # MASTER | CORE | TASK
    name: str
    instance_type: str
    count: int
    market: str  # ON_DEMAND | SPOT


@dataclass(frozen=True)
class ManagedScaling:
    minimum: int
    maximum: int
    maximum_core: int
    maximum_on_demand: int | None


@dataclass(frozen=True)
class BootstrapAction:
    name: str
    path: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class ClusterDefinition:
    release_label: str
    python: str  # the interpreter PySpark uses on the nodes
    instance_groups: tuple[InstanceGroup, ...]
    subnet_id: str
    key_name: str
    primary_security_group: str
    core_security_group: str
    additional_primary_security_groups: tuple[str, ...]
    service_role: str
    job_flow_role: str  # the instance profile's name
    security_configuration: str
    log_uri: str
    bootstrap_actions: tuple[BootstrapAction, ...]
    idle_timeout_seconds: int
    managed_scaling: ManagedScaling | None = None
    termination_protected: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    applications: tuple[str, ...] = ("Spark",)  # the release's own list: stacks/release_labels.py
    unhealthy_node_replacement: bool = True
    configurations: tuple[dict, ...] = field(default=())

    def __post_init__(self):
        if not self.configurations:
            object.__setattr__(self, "configurations", default_configurations(self.python))

    def group(self, role: str) -> InstanceGroup | None:
        return next((g for g in self.instance_groups if g.role == role), None)

    def transient(self) -> ClusterDefinition:
        """The same cluster for one run: short idle backstop, never termination-protected."""
        return replace(self, idle_timeout_seconds=TRANSIENT_IDLE_TIMEOUT_SECONDS, termination_protected=False)

    def run_job_flow_request(
        self, *, name: str, steps: list[dict] | None = None, extra_tags: tuple[tuple[str, str], ...] = ()
    ) -> dict:
        """The EMR ``RunJobFlow`` request (boto3 / Step Functions aws-sdk shape) of a transient
        cluster: it runs ``steps`` and ends (KeepJobFlowAliveWhenNoSteps false), a failed step
        terminates it, and auto-termination reclaims it if it ever sits idle."""
        definition = self.transient()
        instances = {
            "InstanceGroups": [
                {
                    "Name": g.name,
                    "InstanceRole": g.role,
                    "InstanceType": g.instance_type,
                    "InstanceCount": g.count,
                    "Market": g.market,
                }
                for g in definition.instance_groups
            ],
            "Ec2SubnetId": definition.subnet_id,
            "Ec2KeyName": definition.key_name,
            "EmrManagedMasterSecurityGroup": definition.primary_security_group,
            "EmrManagedSlaveSecurityGroup": definition.core_security_group,
            "KeepJobFlowAliveWhenNoSteps": False,
            "TerminationProtected": False,
            "UnhealthyNodeReplacement": definition.unhealthy_node_replacement,
        }
        if definition.additional_primary_security_groups:
            instances["AdditionalMasterSecurityGroups"] = list(definition.additional_primary_security_groups)
        request = {
            "Name": name,
            "ReleaseLabel": definition.release_label,
            "Applications": [{"Name": app} for app in definition.applications],
            "Configurations": [dict(c) for c in definition.configurations],
            "BootstrapActions": [
                {"Name": b.name, "ScriptBootstrapAction": {"Path": b.path, "Args": list(b.args)}}
                for b in definition.bootstrap_actions
            ],
            "Instances": instances,
            "ServiceRole": definition.service_role,
            "JobFlowRole": definition.job_flow_role,
            "SecurityConfiguration": definition.security_configuration,
            "LogUri": definition.log_uri,
            "VisibleToAllUsers": True,
            "AutoTerminationPolicy": {"IdleTimeout": definition.idle_timeout_seconds},
            "Tags": [{"Key": k, "Value": v} for k, v in (*definition.tags, *extra_tags)],
        }
        if definition.managed_scaling:
            request["ManagedScalingPolicy"] = {"ComputeLimits": _compute_limits(definition.managed_scaling)}
        if steps:
            request["Steps"] = steps
        return request


def _compute_limits(scaling: ManagedScaling) -> dict:
    limits = {
        "UnitType": "Instances",
        "MinimumCapacityUnits": scaling.minimum,
        "MaximumCapacityUnits": scaling.maximum,
        "MaximumCoreCapacityUnits": scaling.maximum_core,
    }
    if scaling.maximum_on_demand is not None:
        limits["MaximumOnDemandCapacityUnits"] = scaling.maximum_on_demand
    return limits


def default_configurations(python: str) -> tuple[dict, ...]:
    """Glue Data Catalog as the metastore; PySpark on the release's Python (EMR API shape)."""
    return (
        {
            "Classification": "spark-hive-site",
            "Properties": {"hive.metastore.client.factory.class": GLUE_METASTORE_FACTORY},
        },
        {
            "Classification": "spark-env",
            "Configurations": [
                {"Classification": "export", "Properties": {"PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python}}
            ],
        },
    )


def instance_groups(
    *, primary_type: str, core_type: str, core_count: int, task_count: int, task_spot: bool, task_group: bool
) -> tuple[InstanceGroup, ...]:
    groups = [
        InstanceGroup("MASTER", "primary", primary_type, 1, "ON_DEMAND"),
        InstanceGroup("CORE", "core", core_type, core_count, "ON_DEMAND"),
    ]
    if task_group:
        groups.append(InstanceGroup("TASK", "task", core_type, task_count, "SPOT" if task_spot else "ON_DEMAND"))
    return tuple(groups)


@dataclass(frozen=True)
class ClusterShape:
    """The cluster's instances: its groups and how far managed scaling may grow them."""

    instance_groups: tuple[InstanceGroup, ...]
    managed_scaling: ManagedScaling | None

    def peak_groups(self) -> tuple[InstanceGroup, ...]:
        """Each group at the most instances it can run at once. Managed scaling's limits count
        core and task nodes (never the primary); core nodes stay fixed, so the task group may
        reach ``maximum - maximum_core``, on the task group's own market."""
        scaling = self.managed_scaling
        if scaling is None:
            return self.instance_groups
        return tuple(
            replace(g, count=scaling.maximum - scaling.maximum_core) if g.role == "TASK" else g
            for g in self.instance_groups
        )


def cluster_shape(
    *,
    primary_type: str,
    core_type: str,
    core_count: int,
    task_count: int,
    task_spot: bool,
    scaling_max: int,
) -> ClusterShape:
    """The instance groups and managed scaling of the cluster the settings (context keys) describe;
    ``scaling_max`` 0 means no managed scaling."""
    scaling = None
    if scaling_max:
        # Core nodes hold HDFS: scale with task nodes only (spot ones when task_spot).
        scaling = ManagedScaling(
            minimum=core_count + task_count,
            maximum=scaling_max,
            maximum_core=core_count,
            maximum_on_demand=core_count if task_spot else None,
        )
    groups = instance_groups(
        primary_type=primary_type,
        core_type=core_type,
        core_count=core_count,
        task_count=task_count,
        task_spot=task_spot,
        task_group=task_count > 0 or scaling_max > 0,
    )
    return ClusterShape(groups, scaling)
