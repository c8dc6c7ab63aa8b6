"""`wikilake preflight` where the endpoint lacks an API: against plain moto 5.2 (the shared server,
nothing patched), Lambda GetAccountSettings has no route (HTTP 404) and Service Quotas knows no
EC2 or EMR Serverless quota (NoSuchResourceException, then GetAWSDefaultServiceQuota is not
implemented: HTTP 500). Those checks must say `skipped` and why, never `pass`, and skipped checks
alone do not fail the command.

Untested here (see test_aws_preflight.py for the checks with the APIs filled in): what real AWS
answers for these calls.
"""

from __future__ import annotations

from test_aws_preflight import checks


def test_checks_moto_cannot_answer_are_skipped_with_the_reason(wikilake, aws_options, deployed):
    code, out, _ = wikilake("preflight", *aws_options)
    found = checks(out)
    lambda_status, lambda_detail = found["Lambda concurrency"]
    assert lambda_status == "skipped"
    assert "cannot read Lambda's account settings: GetAccountSettings answered HTTP 404" in lambda_detail
    on_demand_status, on_demand_detail = found["EC2 on-demand vCPUs"]
    assert on_demand_status == "skipped"
    assert "cannot read quota L-1216C47A: GetAWSDefaultServiceQuota answered HTTP 500" in on_demand_detail
    # What moto can answer is still checked: no bootstrap stack fails the run.
    assert found["CDK bootstrap"][0] == "fail"
    assert code == 1


def test_only_skipped_checks_do_not_fail_the_command(wikilake, aws_options, clients):
    """Bootstrapped, not deployed yet, runtime emr-serverless (no EC2 quota to read): the Lambda and
    EMR Serverless quota checks are skipped, everything else passes, exit 0."""
    clients.cloudformation.create_stack(
        StackName="CDKToolkit",
        TemplateBody='{"Resources": {"M": {"Type": "AWS::SSM::Parameter", "Properties": '
        '{"Name": "/cdk-bootstrap/hnb659fds/version", "Type": "String", "Value": "29"}}}}',
    )
    code, out, _ = wikilake("preflight", "--runtime", "emr-serverless", *aws_options)
    found = checks(out)
    assert {name for name, (status, _) in found.items() if status == "skipped"} == {
        "Lambda concurrency",
        "EC2 on-demand vCPUs",
        "EC2 spot vCPUs",
        "EMR Serverless vCPUs",
    }
    assert "cannot read quota L-D05C8A75" in found["EMR Serverless vCPUs"][1]
    assert code == 0 and out.splitlines()[-1] == "preflight: fits: 4 passed, 0 failed, 4 skipped"
