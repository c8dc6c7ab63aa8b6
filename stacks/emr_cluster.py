"""The interactive cluster: wikilake_core.cluster's ONE definition rendered as CloudFormation.

The state machine renders the same definition as a RunJobFlow request
(ClusterDefinition.run_job_flow_request); tests/infra/test_cluster_definition.py checks that both
renderings carry the same settings.
"""

from __future__ import annotations

from aws_cdk import CfnTag
from aws_cdk import aws_emr as emr
from constructs import Construct

from wikilake_core.cluster import ClusterDefinition


def _configuration(config: dict) -> emr.CfnCluster.ConfigurationProperty:
    return emr.CfnCluster.ConfigurationProperty(
        classification=config["Classification"],
        configuration_properties=config.get("Properties"),
        configurations=[_configuration(c) for c in config.get("Configurations", [])] or None,
    )


def _group(definition: ClusterDefinition, role: str) -> emr.CfnCluster.InstanceGroupConfigProperty | None:
    group = definition.group(role)
    if group is None:
        return None
    return emr.CfnCluster.InstanceGroupConfigProperty(
        name=group.name, instance_count=group.count, instance_type=group.instance_type, market=group.market
    )


def step_property(step: dict) -> emr.CfnCluster.StepConfigProperty:
    """wikilake_core.submit's boto3-shaped step -> the CloudFormation property (same content)."""
    jar_step = step["HadoopJarStep"]
    return emr.CfnCluster.StepConfigProperty(
        name=step["Name"],
        action_on_failure=step["ActionOnFailure"],
        hadoop_jar_step=emr.CfnCluster.HadoopJarStepConfigProperty(jar=jar_step["Jar"], args=jar_step["Args"]),
    )


def cfn_cluster(
    scope: Construct, construct_id: str, definition: ClusterDefinition, *, name: str, steps: list[dict]
) -> emr.CfnCluster:
    """A long-lived cluster: kept alive between steps, reclaimed by auto-termination when idle."""
    scaling = definition.managed_scaling
    task = _group(definition, "TASK")
    return emr.CfnCluster(
        scope,
        construct_id,
        name=name,
        release_label=definition.release_label,
        applications=[emr.CfnCluster.ApplicationProperty(name=app) for app in definition.applications],
        configurations=[_configuration(c) for c in definition.configurations],
        bootstrap_actions=[
            emr.CfnCluster.BootstrapActionConfigProperty(
                name=b.name,
                script_bootstrap_action=emr.CfnCluster.ScriptBootstrapActionConfigProperty(
                    path=b.path, args=list(b.args)
                ),
            )
            for b in definition.bootstrap_actions
        ],
        instances=emr.CfnCluster.JobFlowInstancesConfigProperty(
            master_instance_group=_group(definition, "MASTER"),
            core_instance_group=_group(definition, "CORE"),
            task_instance_groups=[task] if task else None,
            ec2_subnet_id=definition.subnet_id,
            ec2_key_name=definition.key_name,
            emr_managed_master_security_group=definition.primary_security_group,
            emr_managed_slave_security_group=definition.core_security_group,
            additional_master_security_groups=list(definition.additional_primary_security_groups) or None,
            keep_job_flow_alive_when_no_steps=True,  # auto-termination reclaims it when idle
            termination_protected=definition.termination_protected,
            unhealthy_node_replacement=definition.unhealthy_node_replacement,
        ),
        service_role=definition.service_role,
        job_flow_role=definition.job_flow_role,
        security_configuration=definition.security_configuration,
        log_uri=definition.log_uri,
        visible_to_all_users=True,
        auto_termination_policy=emr.CfnCluster.AutoTerminationPolicyProperty(
            idle_timeout=definition.idle_timeout_seconds
        ),
        managed_scaling_policy=emr.CfnCluster.ManagedScalingPolicyProperty(
            compute_limits=emr.CfnCluster.ComputeLimitsProperty(
                unit_type="Instances",
                minimum_capacity_units=scaling.minimum,
                maximum_capacity_units=scaling.maximum,
                maximum_core_capacity_units=scaling.maximum_core,
                maximum_on_demand_capacity_units=scaling.maximum_on_demand,
            )
        )
        if scaling
        else None,
        steps=[step_property(step) for step in steps] or None,
        tags=[CfnTag(key=k, value=v) for k, v in definition.tags],
    )
