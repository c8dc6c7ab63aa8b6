"""Every iam:PassRole statement of the synthesized templates, held against what AWS documents about
which service receives which role. IAM is not evaluated by moto: this is the only check that a real
RunJobFlow / StartJobRun is not denied for passing a role to the wrong service.

The facts (role, named by the service its trust policy lets assume it -> the service it is passed to):
- EMR service role (trusts elasticmapreduce.amazonaws.com) is passed to elasticmapreduce.amazonaws.com;
- EMR instance-profile role (trusts ec2.amazonaws.com) is passed to ec2.amazonaws.com: AWS's
  AmazonEMRFullAccessPolicy_v2, statement PassRoleForEC2 (iam:PassedToService like ec2.amazonaws.com*),
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEMRFullAccessPolicy_v2.html
  (checked 2026-12-04, /work/shared/specs/aws-facts.md);
- EMR Serverless execution role (trusts emr-serverless.amazonaws.com) is passed to
  emr-serverless.amazonaws.com (EMR Serverless user guide, "Job runtime roles": StartJobRun needs
  iam:PassRole on the execution role for emr-serverless.amazonaws.com).
EMR's cleanup service-linked role: AWSServiceRoleForEMRCleanup, service elasticmapreduce.amazonaws.com
(https://docs.aws.amazon.com/emr/latest/ManagementGuide/using-service-linked-roles-cleanup.html).
"""

import pytest

RECEIVING_SERVICE_BY_TRUSTED_SERVICE = {
    "elasticmapreduce.amazonaws.com": "elasticmapreduce.amazonaws.com",
    "ec2.amazonaws.com": "ec2.amazonaws.com",
    "emr-serverless.amazonaws.com": "emr-serverless.amazonaws.com",
}
VARIANTS = ("default", "serverless", "full", "byo")


def _statements(template: dict):
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _trusted_service(template: dict, role_logical_id: str) -> str:
    trust = template["Resources"][role_logical_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (service,) = {s for statement in trust for s in _as_list(statement["Principal"].get("Service", []))}
    return service


def _pass_role_statements(synthesized, variant: str):
    template = synthesized.template_json(variant, "processing")
    return template, [s for _, s in _statements(template) if "iam:PassRole" in _as_list(s["Action"])]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_pass_role_names_the_service_that_receives_the_role(synthesized, variant):
    template, statements = _pass_role_statements(synthesized, variant)
    assert statements
    for statement in statements:
        (service,) = _as_list(statement["Condition"]["StringEquals"]["iam:PassedToService"])
        for resource in _as_list(statement["Resource"]):
            role_id = resource["Fn::GetAtt"][0]
            trusted = _trusted_service(template, role_id)
            assert RECEIVING_SERVICE_BY_TRUSTED_SERVICE[trusted] == service, (statement["Sid"], role_id)


@pytest.mark.parametrize("variant", ("default", "full", "byo"))
def test_state_machine_passes_both_cluster_roles_and_may_create_only_emr_cleanup_role(synthesized, variant):
    template, statements = _pass_role_statements(synthesized, variant)
    passed = {
        _trusted_service(template, r["Fn::GetAtt"][0])
        for s in statements
        if s.get("Sid", "").startswith("Pass")
        for r in _as_list(s["Resource"])
    }
    assert {"elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"} <= passed
    (create,) = [s for _, s in _statements(template) if "iam:CreateServiceLinkedRole" in _as_list(s["Action"])]
    assert create["Condition"] == {"StringEquals": {"iam:AWSServiceName": "elasticmapreduce.amazonaws.com"}}
    assert "AWSServiceRoleForEMRCleanup" in str(create["Resource"])
