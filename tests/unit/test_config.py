"""stacks.config: context parsing and one clear error per bad value (no jsii, so fast)."""
import json
from datetime import date, timedelta

import pytest

from stacks.config import KEYS, ConfigError, WikilakeConfig
from wikilake_core.paths import PROJECT_ROOT

CDK_CONTEXT = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


def parse(**overrides) -> WikilakeConfig:
    return WikilakeConfig.from_context({**CDK_CONTEXT, **overrides})


def test_cdk_json_sets_every_key_and_its_defaults_parse():
    assert set(KEYS) <= set(CDK_CONTEXT)
    config = parse()
    assert (config.stage, config.stack_prefix, config.release.label) == ("dev", "Wikilake", "emr-7.13.0")
    assert (config.ssh_cidrs, config.steps, config.kms, config.bucket_name) == ((), (), False, None)
    assert (config.idle_timeout_minutes, config.athena_bytes_scanned_cutoff) == (60, 10_000_000_000)
    assert config.stack_names == {"storage": "Wikilake-dev-Storage", "catalog": "Wikilake-dev-Catalog",
                                  "processing": "Wikilake-dev-Processing"}
    assert config.database_name == "wikilake_dev"


def test_readme_documents_every_key():
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("<!-- section: configuration -->")[1].split("<!-- /section: configuration -->")[0]
    # The README is being split into docs/: a key documented there counts too.
    section += "".join(path.read_text() for path in sorted((PROJECT_ROOT / "docs").glob("*.md")))
    assert [key for key in KEYS if f"`{key}`" not in section] == []


def test_runtime_defaults_to_emr_ec2_and_serverless_caps_parse():
    config = parse()
    assert (config.runtime, config.is_serverless) == ("emr-ec2", False)
    assert (config.serverless_max_vcpu, config.serverless_max_memory_gb) == (32, 128)
    serverless = parse(runtime="emr-serverless", serverless_max_vcpu="16", serverless_max_memory_gb="64")
    assert (serverless.is_serverless, serverless.serverless_max_vcpu, serverless.serverless_max_memory_gb) == (
        True, 16, 64)
    assert serverless.release.serverless_python == "3.9"
    # prod needs TLS certificates for clusters only: EMR Serverless encrypts in transit itself.
    assert parse(runtime="emr-serverless", stage="prod").is_prod


def test_cli_strings_and_cdk_json_types_parse_alike():
    from_cli = parse(kms="true", task_spot="no", core_instance_count="3", athena_bytes_scanned_cutoff_gb="2.5",
                     ssh_cidrs="203.0.113.7/32, 198.51.100.0/24", steps="edits@2015-09-12",
                     interactive_cluster="true")
    typed = parse(kms=True, task_spot=False, core_instance_count=3, athena_bytes_scanned_cutoff_gb=2.5,
                  ssh_cidrs=["203.0.113.7/32", "198.51.100.0/24"], steps=["edits@2015-09-12"],
                  interactive_cluster=True)
    assert from_cli == typed
    assert from_cli.steps == (("edits", "2015-09-12"),)
    assert from_cli.athena_bytes_scanned_cutoff == 2_500_000_000


def test_ssh_cidrs_are_normalized_and_deduplicated():
    assert parse(ssh_cidrs="203.0.113.7,203.0.113.7/32,2001:db8::/48").ssh_cidrs == (
        "203.0.113.7/32", "2001:db8::/48")


def test_prod_with_certificates_and_everything_else_set():
    config = parse(stage="prod", tls_certificates_s3_uri="s3://certs-bucket/emr/certs.zip", vpc_id="vpc-0123abcd",
                   subnet_id="subnet-0123abcd", budget_monthly_usd="25", budget_email="ops@example.com",
                   managed_scaling_max=4, task_instance_count=1, bucket_name="my-lake-bucket")
    assert config.is_prod and config.budget_monthly_usd == 25.0 and config.managed_scaling_max == 4


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
BAD_VALUES = [
    # (overrides, what the one-line message must say)
    ({"stage": "qa"}, "context stage='qa': unknown value; fix: use one of dev, prod"),
    ({"stack_prefix": "1lake"}, "context stack_prefix='1lake': invalid"),
    ({"stack_prefix": "a-very-long-stack-prefix-name"}, "at most 20"),
    ({"cost_center": "a,b"}, "context cost_center='a,b': invalid"),
    ({"bucket_name": "My_Bucket"}, "context bucket_name='My_Bucket': not a valid S3 bucket name"),
    ({"bucket_name": "ab"}, "not a valid S3 bucket name"),
    ({"bucket_name": "xn--lake"}, "not a valid S3 bucket name"),
    ({"bucket_name": "my.lake"}, "dots break TLS"),
    ({"kms": "maybe"}, "context kms='maybe': not a boolean; fix: use true or false"),
    ({"ssh_cidrs": "0.0.0.0/0"}, "context ssh_cidrs='0.0.0.0/0': SSH open to the internet"),
    ({"ssh_cidrs": "::/0"}, "context ssh_cidrs='::/0': SSH open to the internet"),
    ({"ssh_cidrs": "128.0.0.0/2"}, "SSH open to the internet"),
    ({"ssh_cidrs": "203.0.113.7/33"}, "context ssh_cidrs='203.0.113.7/33': not a valid CIDR"),
    ({"ssh_cidrs": "10.1.2.3/16"}, "fix: use the network address 10.1.0.0/16"),
    ({"ssh_cidrs": "my-laptop"}, "not a valid CIDR"),
    ({"key_pair_name": "é"}, "context key_pair_name='é': invalid"),
    ({"vpc_id": "vpc-xyz", "subnet_id": "subnet-0123abcd"}, "context vpc_id='vpc-xyz': invalid"),
    ({"vpc_id": "vpc-0123abcd"}, "vpc_id and subnet_id go together"),
    ({"subnet_id": "subnet-0123abcd"}, "vpc_id and subnet_id go together"),
    ({"release_label": "emr-1.0.0"}, "context release_label='emr-1.0.0': not a supported EMR release; fix: use one of"),
    ({"primary_instance_type": "large"}, "context primary_instance_type='large': invalid"),
    ({"core_instance_type": ""}, "context core_instance_type='': invalid"),
    ({"core_instance_count": 0}, "context core_instance_count=0: out of range; fix: use a whole number >= 1"),
    ({"core_instance_count": "two"}, "context core_instance_count='two': not a whole number"),
    ({"task_instance_count": -1}, "context task_instance_count=-1: out of range; fix: use a whole number >= 0"),
    ({"task_instance_count": "1.5"}, "not a whole number"),
    ({"task_spot": "sometimes"}, "not a boolean"),
    ({"idle_timeout_minutes": 0}, "context idle_timeout_minutes=0: out of range; fix: use a whole number from 1 to 10080"),
    ({"idle_timeout_minutes": 10081}, "out of range"),
    ({"managed_scaling_max": 1, "core_instance_count": 2}, "below the 2 core + task nodes"),
    ({"managed_scaling_max": -1}, "out of range"),
    ({"tls_certificates_s3_uri": "https://example.com/certs.zip"}, "context tls_certificates_s3_uri="),
    ({"tls_certificates_s3_uri": "s3://bucket/certs.tar"}, "s3://<bucket>/<key>.zip"),
    ({"stage": "prod"}, "context tls_certificates_s3_uri: stage=prod requires in-transit encryption"),
    ({"athena_bytes_scanned_cutoff_gb": "lots"}, "context athena_bytes_scanned_cutoff_gb='lots': not a number"),
    ({"athena_bytes_scanned_cutoff_gb": 0.001}, "out of range; fix: use a number >= 0.01"),
    ({"projection_start_date": "2015-13-01"}, "context projection_start_date='2015-13-01': not a date"),
    ({"projection_start_date": TOMORROW}, "in the future"),
    ({"steps": "edits", "interactive_cluster": True}, "context steps='edits': bad step"),
    ({"steps": "clicks@2015-09-12", "interactive_cluster": True}, "unknown dataset 'clicks'"),
    ({"steps": "edits@2015-02-30", "interactive_cluster": True}, "bad date"),
    ({"steps": "edits@2015-09-12,edits@2015-09-12", "interactive_cluster": True}, "the same step twice"),
    ({"steps": "edits@2015-09-12"}, "context steps='edits@2015-09-12': steps run on the interactive cluster, "
                                    "which is off; fix: add -c interactive_cluster=true"),
    ({"interactive_cluster": "sometimes"}, "context interactive_cluster='sometimes': not a boolean"),
    ({"schedule": "clicks"}, "context schedule='clicks': unknown dataset 'clicks'; fix: write dataset or "
                             "dataset@<cron(...)|rate(...)>"),
    ({"schedule": "pageviews@cron(30 4 * *)"}, "context schedule='pageviews@cron(30 4 * *)': not an "
                                               "EventBridge Scheduler cron() or rate() expression"),
    ({"schedule": "pageviews@at(2026-12-01T00:00:00)"}, "not an EventBridge Scheduler cron() or rate() expression"),
    ({"schedule": "pageviews@rate(0 days)"}, "not an EventBridge Scheduler cron() or rate() expression"),
    ({"schedule": "pageviews, pageviews@rate(1 day)"}, "context schedule='pageviews, pageviews@rate(1 day)': "
                                                        "the same dataset twice"),
    ({"alert_email": "ops"}, "context alert_email='ops': invalid"),
    ({"contact": "call me"}, "context contact='call me': invalid; fix: use a URL or an e-mail address"),
    ({"budget_monthly_usd": "ten", "budget_email": "a@example.com"}, "context budget_monthly_usd='ten': not a number"),
    ({"budget_monthly_usd": 0, "budget_email": "a@example.com"}, "out of range"),
    ({"budget_monthly_usd": 10}, "budget_monthly_usd and budget_email go together"),
    ({"budget_monthly_usd": 10, "budget_email": "not-an-email"}, "context budget_email='not-an-email': invalid"),
    ({"ssh_cidr": "203.0.113.7/32"}, "context ssh_cidr: unknown context key; fix: did you mean ssh_cidrs?"),
    ({"runtime": "lambda"}, "context runtime='lambda': unknown value; fix: use one of emr-ec2, emr-serverless"),
    ({"runtime": "emr-serverless", "release_label": "emr-spark-8.0.0"},
     "context release_label='emr-spark-8.0.0': has no EMR Serverless release; fix: use one of emr-7.13.0"),
    ({"serverless_max_vcpu": 0}, "context serverless_max_vcpu=0: out of range; fix: use a whole number >= 1"),
    ({"serverless_max_vcpu": "lots"}, "context serverless_max_vcpu='lots': not a whole number"),
    ({"serverless_max_vcpu": 4}, "context serverless_max_vcpu=4: below the 6 vCPUs of the edits job's driver "
                                 "and one executor; fix: use at least 6"),
    ({"serverless_max_memory_gb": 8}, "context serverless_max_memory_gb=8: below the 18 GB of the edits job's"),
    ({"serverless_max_memory_gb": 1.5}, "not a whole number"),
    ({"runtime": "emr-serverless", "ssh_cidrs": "203.0.113.7/32"},
     "context ssh_cidrs='203.0.113.7/32': configures EMR clusters and has no effect with runtime=emr-serverless"),
    ({"runtime": "emr-serverless", "steps": "edits@2015-09-12"}, "context steps='edits@2015-09-12': configures EMR"),
    ({"runtime": "emr-serverless", "key_pair_name": "ops"}, "context key_pair_name='ops': configures EMR"),
    ({"runtim": "emr-serverless"}, "context runtim: unknown context key; fix: did you mean runtime?"),
]


@pytest.mark.parametrize("overrides, message", BAD_VALUES, ids=[str(o) for o, _ in BAD_VALUES])
def test_bad_value_is_refused_in_one_line_naming_key_and_fix(overrides, message):
    with pytest.raises(ConfigError) as caught:
        parse(**overrides)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text and "; fix: " in text


def test_missing_key_says_how_to_restore_it():
    context = dict(CDK_CONTEXT)
    del context["stage"]
    with pytest.raises(ConfigError, match="context stage: not set; fix: restore the stage default in cdk.json"):
        WikilakeConfig.from_context(context)


def test_cdk_keys_are_not_mistaken_for_typos():
    assert parse(**{"aws:cdk:enable-asset-metadata": True, "@aws-cdk/core:newStyleStackSynthesis": True})


def test_schedule_entries_bare_datasets_run_daily_and_cron_lists_stay_whole():
    from stacks.config import DEFAULT_SCHEDULE

    assert parse().schedule == () and parse().interactive_cluster is False
    config = parse(schedule="pageviews, edits@cron(0 6 ? * MON,WED *)", alert_email="ops@example.com",
                   contact="https://example.org/data-team")
    assert config.schedule == (("pageviews", DEFAULT_SCHEDULE), ("edits", "cron(0 6 ? * MON,WED *)"))
    assert DEFAULT_SCHEDULE == "cron(30 4 * * ? *)"
    assert (config.alert_email, config.contact) == ("ops@example.com", "https://example.org/data-team")
    assert parse(schedule="pageviews@rate(1 day)").schedule == (("pageviews", "rate(1 day)"),)
