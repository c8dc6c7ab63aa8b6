"""cfn-lint over every synthesized template: zero findings except the ones listed here, with reasons."""

import json
import subprocess
import sys
from pathlib import Path

# (rule, resource logical-id prefix) -> why it is accepted. Nothing else may be reported.
ACCEPTED = {
    (
        "W3005",
        "CustomS3AutoDeleteObjectsCustomResourceProvider",
    ): "CDK's own auto-delete-objects provider declares DependsOn on the role it also GetAtt's; not our code.",
    (
        "W3005",
        "CustomVpcRestrictDefaultSGCustomResourceProvider",
    ): "CDK's own restrict-default-security-group provider does the same; not our code.",
    **{
        (
            "W3005",
            f"Pipeline{name}",
        ): "CDK's lambda.Function / sfn.StateMachine depend on their role AND its default policy; the role half is "
        "redundant with the GetAtt, the policy half is what makes the first invocation find its permissions."
        for name in (
            "PlanFunction",
            "IngestFunction",
            "RecordFunction",
            "ReapFunction",
            "DayLeaseFunction",
            "StateMachine",
        )
    },
    # The delivery stack's CodePipeline (construct path Pipeline/Pipeline, made by CDK Pipelines).
    (
        "W3005",
        "Pipeline9850B417",
    ): "CDK Pipelines' codepipeline.Pipeline depends on its role and its default policy; the role half is redundant "
    "with the GetAtt, the policy half lets the first execution find its permissions. Not our code.",
    (
        "E3703",
        "Pipeline9850B417",
    ): "CDK Pipelines spells each deploy action's bootstrap deploy-role ARN with Fn::Join; cfn-lint prefers Fn::Sub, "
    "a matter of style: both resolve to the same ARN. Not our code.",
}


def is_accepted(finding: dict) -> bool:
    rule = finding["Rule"]["Id"]
    path = finding["Location"]["Path"]
    resource = path[1] if len(path) > 1 and path[0] == "Resources" else ""
    return any(rule == accepted_rule and resource.startswith(prefix) for accepted_rule, prefix in ACCEPTED)


def test_cfn_lint_reports_nothing_unaccepted(synthesized):
    templates = sorted(str(synthesized.template_path(*key)) for key in synthesized.stack_names)
    # the delivery pipeline, and its dev and prod stages (named state machines)
    templates += [str(synthesized.delivery_template_path), *map(str, synthesized.stage_template_paths())]
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", "--", *templates], capture_output=True, text=True, check=False
    )
    assert result.stdout.lstrip().startswith("["), result.stderr  # a crash prints no JSON report
    findings = json.loads(result.stdout)
    unaccepted = [
        f"{f['Rule']['Id']} {Path(f['Filename']).name} {'/'.join(map(str, f['Location']['Path']))}: {f['Message']}"
        for f in findings
        if not is_accepted(f)
    ]
    assert unaccepted == [], "\n".join(unaccepted)
