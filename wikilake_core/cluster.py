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
# An instance group's Market (the EMR API's values): what its instances are billed as.
ON_DEMAND, SPOT = "ON_DEMAND", "SPOT"


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

    def compute_limits(self) -> dict:
        limits = {
            "UnitType": "Instances",
            "MinimumCapacityUnits": self.minimum,
            "MaximumCapacityUnits": self.maximum,
            "MaximumCoreCapacityUnits": self.maximum_core,
        }
        if self.maximum_on_demand is not None:
            limits["MaximumOnDemandCapacityUnits"] = self.maximum_on_demand
        return limits


def managed_scaling(*, core_count: int, task_count: int, maximum: int, task_spot: bool) -> ManagedScaling | None:
    """Managed scaling of a cluster with ``core_count`` core nodes (None when ``maximum`` is 0: off).
    Core nodes hold HDFS: it scales with task nodes only (spot ones when task_spot); a run sized
    above ``maximum`` keeps its nodes."""
    if not maximum:
        return None
    fixed = core_count + task_count
    return ManagedScaling(
        minimum=fixed,
        maximum=max(maximum, fixed),
        maximum_core=core_count,
        maximum_on_demand=core_count if task_spot else None,
    )


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
    applications: tuple[str, ...] = ("Spark",)  # the release's own list: wikilake_core/release_labels.py
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
        self,
        *,
        name: str,
        steps: list[dict] | list[str] | None = None,  # list[str]: a JsonPath list token (the state machine)
        extra_tags: tuple[tuple[str, str], ...] = (),
        core_count=None,
        compute_limits=None,
    ) -> dict:
        """The EMR ``RunJobFlow`` request (boto3 / Step Functions aws-sdk shape) of a transient
        cluster: it runs ``steps`` and ends (KeepJobFlowAliveWhenNoSteps false), a failed step
        terminates it, and auto-termination reclaims it if it ever sits idle. ``core_count`` and
        ``compute_limits`` (values or tokens: the run's sizing) replace the definition's."""
        definition = self.transient()
        instances = {
            "InstanceGroups": [
                {
                    "Name": g.name,
                    "InstanceRole": g.role,
                    "InstanceType": g.instance_type,
                    "InstanceCount": core_count if g.role == "CORE" and core_count is not None else g.count,
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
            limits = compute_limits if compute_limits is not None else definition.managed_scaling.compute_limits()
            request["ManagedScalingPolicy"] = {"ComputeLimits": limits}
        if steps:
            request["Steps"] = steps
        return request


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
        InstanceGroup("MASTER", "primary", primary_type, 1, ON_DEMAND),
        InstanceGroup("CORE", "core", core_type, core_count, ON_DEMAND),
    ]
    if task_group:
        groups.append(InstanceGroup("TASK", "task", core_type, task_count, SPOT if task_spot else ON_DEMAND))
    return tuple(groups)


@dataclass(frozen=True)
class ClusterShape:
    """The cluster's instances: its groups and how far managed scaling may grow them."""

    instance_groups: tuple[InstanceGroup, ...]
    managed_scaling: ManagedScaling | None
    # The most core nodes a pipeline run's sizing may give its cluster (run_core_nodes_max).
    core_count_max: int | None = None

    def peak_groups(self) -> tuple[InstanceGroup, ...]:
        """Each group at the most instances it can run at once. The core group: the most a run's
        sizing gives it. Managed scaling's limits count core and task nodes (never the primary)
        and never shrink the core group, so task nodes reach ``maximum`` minus the core nodes: on a
        market of their own (spot) at most with the fewest core nodes, on the core nodes' market
        (on-demand) core and task nodes together reach at most ``maximum`` (or the sized core
        nodes and the starting task nodes, when more)."""
        core_group = self.group("CORE")
        if core_group is None:  # instance_groups always makes one; a shape without is not a cluster
            raise ValueError("a cluster shape needs a CORE instance group")
        core = max(core_group.count, self.core_count_max or 0)
        scaling = self.managed_scaling

        def peak(group: InstanceGroup) -> int:
            if group.role == "CORE":
                return core
            if group.role == "TASK" and scaling:
                with_core = core if group.market == core_group.market else core_group.count
                return max(scaling.maximum, with_core + group.count) - with_core
            return group.count

        return tuple(replace(g, count=peak(g)) for g in self.instance_groups)

    def group(self, role: str) -> InstanceGroup | None:
        return next((g for g in self.instance_groups if g.role == role), None)


def cluster_shape(
    *,
    primary_type: str,
    core_type: str,
    core_count: int,
    task_count: int,
    task_spot: bool,
    scaling_max: int,
    core_count_max: int | None = None,
) -> ClusterShape:
    """The instance groups and managed scaling of the cluster the settings (context keys) describe;
    ``scaling_max`` 0 means no managed scaling; ``core_count_max``: the most core nodes a run gets."""
    groups = instance_groups(
        primary_type=primary_type,
        core_type=core_type,
        core_count=core_count,
        task_count=task_count,
        task_spot=task_spot,
        task_group=task_count > 0 or scaling_max > 0,
    )
    scaling = managed_scaling(core_count=core_count, task_count=task_count, maximum=scaling_max, task_spot=task_spot)
    return ClusterShape(groups, scaling, core_count_max)
