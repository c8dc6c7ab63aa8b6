"""wikilake_settings.config: context parsing and one clear error per bad value (no jsii, so fast)."""

import json
from datetime import date, timedelta

import pytest

from wikilake_core import datasets
from wikilake_core.paths import PROJECT_ROOT
from wikilake_core.release_labels import RELEASES, EmrRelease, serverless_labels, supported_labels
from wikilake_settings.config import KEYS, ConfigError, WikilakeConfig

CDK_CONTEXT = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


def parse(**overrides) -> WikilakeConfig:
    return WikilakeConfig.from_context({**CDK_CONTEXT, **overrides})


def test_cdk_json_sets_every_key_and_its_defaults_parse():
    assert set(KEYS) <= set(CDK_CONTEXT)
    config = parse()
    assert (config.stage, config.stack_prefix, config.release.label) == ("dev", "Wikilake", "emr-7.13.0")
    assert (config.ssh_cidrs, config.steps, config.kms, config.bucket_name) == ((), (), False, None)
    assert (config.idle_timeout_minutes, config.athena_bytes_scanned_cutoff) == (60, 10_000_000_000)
    assert config.stack_names == {
        "storage": "Wikilake-dev-Storage",
        "catalog": "Wikilake-dev-Catalog",
        "processing": "Wikilake-dev-Processing",
    }
    assert config.database_name == "wikilake_dev"


def test_configuration_page_documents_every_key():
    page = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    assert [key for key in KEYS if f"`{key}`" not in page] == []


def test_runtime_defaults_to_emr_ec2_and_serverless_caps_parse():
    config = parse()
    assert (config.runtime, config.is_serverless) == ("emr-ec2", False)
    assert (config.serverless_max_vcpu, config.serverless_max_memory_gb) == (32, 128)
    serverless = parse(runtime="emr-serverless", serverless_max_vcpu="16", serverless_max_memory_gb="64")
    assert (serverless.is_serverless, serverless.serverless_max_vcpu, serverless.serverless_max_memory_gb) == (
        True,
        16,
        64,
    )
    assert serverless.release.serverless_python == "3.9"
    # emr-spark-8.0.0 is GA on EMR Serverless (AWS release guide, checked 2026-12-04).
    assert parse(runtime="emr-serverless", release_label="emr-spark-8.0.0").release.serverless
    # prod needs TLS certificates for clusters only: EMR Serverless encrypts in transit itself.
    assert parse(runtime="emr-serverless", stage="prod").is_prod


def test_cli_strings_and_cdk_json_types_parse_alike():
    from_cli = parse(
        kms="true",
        task_spot="no",
        core_instance_count="3",
        athena_bytes_scanned_cutoff_gb="2.5",
        ssh_cidrs="203.0.113.7/32, 198.51.100.0/24",
        steps="edits@2015-09-12",
        interactive_cluster="true",
        run_core_nodes_max="4",
        run_target_minutes="90",
    )
    typed = parse(
        kms=True,
        task_spot=False,
        core_instance_count=3,
        athena_bytes_scanned_cutoff_gb=2.5,
        ssh_cidrs=["203.0.113.7/32", "198.51.100.0/24"],
        steps=["edits@2015-09-12"],
        interactive_cluster=True,
        run_core_nodes_max=4,
        run_target_minutes=90,
    )
    assert from_cli == typed
    assert (from_cli.run_core_nodes_max, from_cli.run_target_minutes) == (4, 90)
    assert from_cli.steps == (("edits", "2015-09-12"),)
    assert from_cli.athena_bytes_scanned_cutoff == 2_500_000_000


def test_ssh_cidrs_are_normalized_and_deduplicated():
    assert parse(ssh_cidrs="203.0.113.7,203.0.113.7/32,2001:db8::/48").ssh_cidrs == ("203.0.113.7/32", "2001:db8::/48")


def test_prod_with_certificates_and_everything_else_set():
    config = parse(
        stage="prod",
        tls_certificates_s3_uri="s3://certs-bucket/emr/certs.zip",
        vpc_id="vpc-0123abcd",
        subnet_id="subnet-0123abcd",
        budget_monthly_usd="25",
        budget_email="ops@example.com",
        managed_scaling_max=4,
        task_instance_count=1,
        bucket_name="my-lake-bucket",
    )
    assert config.is_prod and config.budget_monthly_usd == 25.0 and config.managed_scaling_max == 4
    assert (config.vpc_id, config.subnet_id, config.tls_certificates_s3_uri, config.budget_email) == (
        "vpc-0123abcd",
        "subnet-0123abcd",
        "s3://certs-bucket/emr/certs.zip",
        "ops@example.com",
    )


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
BAD_VALUES = [
    # (overrides, the whole one-line message)
    ({"stage": "qa"}, "context stage='qa': unknown value; fix: use one of dev, prod"),
    (
        {"stack_prefix": "1lake"},
        "context stack_prefix='1lake': invalid; fix: use letters, digits and single hyphens, starting with a letter, at most 20",
    ),
    (
        {"stack_prefix": "a-very-long-stack-prefix-name"},
        "context stack_prefix='a-very-long-stack-prefix-name': invalid; fix: use letters, digits and single hyphens, starting with a letter, at most 20",
    ),
    (
        {"cost_center": "a,b"},
        "context cost_center='a,b': invalid; fix: use a tag value: letters, digits, spaces, _.:/=+-@",
    ),
    (
        {"bucket_name": "My_Bucket"},
        "context bucket_name='My_Bucket': not a valid S3 bucket name; fix: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (or leave it empty for a generated name)",
    ),
    (
        {"bucket_name": "ab"},
        "context bucket_name='ab': not a valid S3 bucket name; fix: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (or leave it empty for a generated name)",
    ),
    (
        {"bucket_name": "xn--lake"},
        "context bucket_name='xn--lake': not a valid S3 bucket name; fix: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (or leave it empty for a generated name)",
    ),
    (
        {"bucket_name": "my.lake"},
        "context bucket_name='my.lake': dots break TLS for virtual-hosted-style requests; fix: use lower-case letters, digits and hyphens",
    ),
    ({"kms": "maybe"}, "context kms='maybe': not a boolean; fix: use true or false, e.g. -c kms=true"),
    (
        {"ssh_cidrs": "0.0.0.0/0"},
        "context ssh_cidrs='0.0.0.0/0': SSH open to the internet (or close to it) is refused; fix: allow only your own networks (IPv4 prefix >= /8), e.g. -c ssh_cidrs=203.0.113.7/32",
    ),
    (
        {"ssh_cidrs": "::/0"},
        "context ssh_cidrs='::/0': SSH open to the internet (or close to it) is refused; fix: allow only your own networks (IPv6 prefix >= /32), e.g. -c ssh_cidrs=203.0.113.7/32",
    ),
    (
        {"ssh_cidrs": "128.0.0.0/2"},
        "context ssh_cidrs='128.0.0.0/2': SSH open to the internet (or close to it) is refused; fix: allow only your own networks (IPv4 prefix >= /8), e.g. -c ssh_cidrs=203.0.113.7/32",
    ),
    (
        {"ssh_cidrs": "203.0.113.7/33"},
        "context ssh_cidrs='203.0.113.7/33': not a valid CIDR; fix: use CIDRs like 203.0.113.7/32, comma-separated",
    ),
    (
        {"ssh_cidrs": "10.1.2.3/16"},
        "context ssh_cidrs='10.1.2.3/16': not a valid CIDR; fix: use the network address 10.1.0.0/16",
    ),
    (
        {"ssh_cidrs": "my-laptop"},
        "context ssh_cidrs='my-laptop': not a valid CIDR; fix: use CIDRs like 203.0.113.7/32, comma-separated",
    ),
    ({"key_pair_name": "é"}, "context key_pair_name='é': invalid; fix: use the name of an existing EC2 key pair"),
    (
        {"vpc_id": "vpc-xyz", "subnet_id": "subnet-0123abcd"},
        "context vpc_id='vpc-xyz': invalid; fix: use a VPC id like vpc-0abc1234def567890",
    ),
    (
        {"vpc_id": "vpc-0123abcd"},
        "context subnet_id: vpc_id and subnet_id go together; fix: set both (a subnet of that VPC with a route to S3) or neither",
    ),
    (
        {"subnet_id": "subnet-0123abcd"},
        "context subnet_id='subnet-0123abcd': vpc_id and subnet_id go together; fix: set both (a subnet of that VPC with a route to S3) or neither",
    ),
    (
        {"release_label": "emr-1.0.0"},
        f"context release_label='emr-1.0.0': not a supported EMR release; fix: use one of "
        f"{supported_labels()} (wikilake_core/release_labels.py)",
    ),
    (
        {"primary_instance_type": "large"},
        "context primary_instance_type='large': invalid; fix: use an EC2 type like m5.xlarge",
    ),
    ({"core_instance_type": ""}, "context core_instance_type='': invalid; fix: use an EC2 type like m5.xlarge"),
    ({"core_instance_count": 0}, "context core_instance_count=0: out of range; fix: use a whole number >= 1"),
    (
        {"core_instance_count": "two"},
        "context core_instance_count='two': not a whole number; fix: use a whole number >= 1",
    ),
    ({"task_instance_count": -1}, "context task_instance_count=-1: out of range; fix: use a whole number >= 0"),
    (
        {"task_instance_count": "1.5"},
        "context task_instance_count='1.5': not a whole number; fix: use a whole number >= 0",
    ),
    (
        {"task_spot": "sometimes"},
        "context task_spot='sometimes': not a boolean; fix: use true or false, e.g. -c task_spot=true",
    ),
    (
        {"idle_timeout_minutes": 0},
        "context idle_timeout_minutes=0: out of range; fix: use a whole number from 1 to 10080",
    ),
    (
        {"idle_timeout_minutes": 10081},
        "context idle_timeout_minutes=10081: out of range; fix: use a whole number from 1 to 10080",
    ),
    (
        {"managed_scaling_max": 1, "core_instance_count": 2},
        "context managed_scaling_max=1: below the 2 core + task nodes the cluster starts with; fix: use 0 (off) or at least 2",
    ),
    ({"managed_scaling_max": -1}, "context managed_scaling_max=-1: out of range; fix: use a whole number >= 0"),
    (
        {"tls_certificates_s3_uri": "https://example.com/certs.zip"},
        "context tls_certificates_s3_uri='https://example.com/certs.zip': invalid; fix: use s3://<bucket>/<key>.zip (PEM certificates)",
    ),
    (
        {"tls_certificates_s3_uri": "s3://bucket/certs.tar"},
        "context tls_certificates_s3_uri='s3://bucket/certs.tar': invalid; fix: use s3://<bucket>/<key>.zip (PEM certificates)",
    ),
    (
        {"stage": "prod"},
        "context tls_certificates_s3_uri: stage=prod requires in-transit encryption; fix: upload a PEM certificate zip (see docs/security.md) and pass -c tls_certificates_s3_uri=s3://<bucket>/<key>.zip",
    ),
    (
        {"athena_bytes_scanned_cutoff_gb": "lots"},
        "context athena_bytes_scanned_cutoff_gb='lots': not a number; fix: use a number >= 0.01, e.g. -c athena_bytes_scanned_cutoff_gb=25",
    ),
    (
        {"athena_bytes_scanned_cutoff_gb": 0.001},
        "context athena_bytes_scanned_cutoff_gb=0.001: out of range; fix: use a number >= 0.01",
    ),
    (
        {"projection_start_date": "2015-13-01"},
        "context projection_start_date='2015-13-01': not a date; fix: use YYYY-MM-DD, e.g. 2015-05-01",
    ),
    (
        {"projection_start_date": TOMORROW},
        f"context projection_start_date={TOMORROW!r}: in the future: Athena would project no partitions; "
        "fix: use the first date you have data for",
    ),
    (
        {"steps": "edits", "interactive_cluster": True},
        "context steps='edits': bad step 'edits': write <dataset>@<YYYY-MM-DD>, e.g. edits@2015-09-12; fix: write dataset@YYYY-MM-DD, comma-separated, e.g. edits@2015-09-12",
    ),
    (
        {"steps": "clicks@2015-09-12", "interactive_cluster": True},
        "context steps='clicks@2015-09-12': unknown dataset 'clicks': choose one of edits, pageviews, articles; fix: write dataset@YYYY-MM-DD, comma-separated, e.g. edits@2015-09-12",
    ),
    (
        {"steps": "edits@2015-02-30", "interactive_cluster": True},
        "context steps='edits@2015-02-30': bad date '2015-02-30': use YYYY-MM-DD, e.g. 2015-09-12; fix: write dataset@YYYY-MM-DD, comma-separated, e.g. edits@2015-09-12",
    ),
    (
        {"steps": "edits@2015-09-12,edits@2015-09-12", "interactive_cluster": True},
        "context steps='edits@2015-09-12,edits@2015-09-12': the same step twice; fix: list each dataset@date once",
    ),
    (
        {"budget_monthly_usd": "ten", "budget_email": "a@example.com"},
        "context budget_monthly_usd='ten': not a number; fix: use a number >= 1, e.g. -c budget_monthly_usd=25",
    ),
    (
        {"budget_monthly_usd": 0, "budget_email": "a@example.com"},
        "context budget_monthly_usd=0: out of range; fix: use a number >= 1",
    ),
    (
        {"budget_monthly_usd": 10},
        "context budget_email: budget_monthly_usd and budget_email go together; fix: set both to get budget alerts, or neither",
    ),
    (
        {"budget_monthly_usd": 10, "budget_email": "not-an-email"},
        "context budget_email='not-an-email': invalid; fix: use an address like team@example.com",
    ),
    ({"ssh_cidr": "203.0.113.7/32"}, "context ssh_cidr: unknown context key; fix: did you mean ssh_cidrs?"),
    ({"colour": "x"}, "context colour: unknown context key; fix: see docs/configuration.md for the keys"),
    (
        {"managed_scaling_max": 2, "core_instance_count": 2, "task_instance_count": 1},
        "context managed_scaling_max=2: below the 3 core + task nodes the cluster starts with; fix: use 0 (off) or at least 3",
    ),
    (
        {"athena_bytes_scanned_cutoff_gb": "inf"},
        "context athena_bytes_scanned_cutoff_gb='inf': out of range; fix: use a number >= 0.01",
    ),
    (
        {"athena_bytes_scanned_cutoff_gb": "nan"},
        "context athena_bytes_scanned_cutoff_gb='nan': out of range; fix: use a number >= 0.01",
    ),
    (
        {"athena_bytes_scanned_cutoff_gb": True},
        "context athena_bytes_scanned_cutoff_gb=True: not a number; fix: use a number >= 0.01, e.g. -c athena_bytes_scanned_cutoff_gb=25",
    ),
    (
        {"core_instance_count": True},
        "context core_instance_count=True: not a whole number; fix: use a whole number >= 1",
    ),
    ({"kms": 2}, "context kms=2: not a boolean; fix: use true or false, e.g. -c kms=true"),
    (
        {"steps": "edits@2015-09-12"},
        "context steps='edits@2015-09-12': steps run on the interactive cluster, which is off; fix: add -c interactive_cluster=true, or run them with `wikilake run`",
    ),
    (
        {"steps": "edits@2015-09-12, pageviews@2024-03-15"},
        "context steps='edits@2015-09-12,pageviews@2024-03-15': steps run on the interactive cluster, which is off; fix: add -c interactive_cluster=true, or run them with `wikilake run`",
    ),
    (
        {"budget_email": "ops@example.com"},
        "context budget_email='ops@example.com': budget_monthly_usd and budget_email go together; fix: set both to get budget alerts, or neither",
    ),
    (
        {"vpc_id": "vpc-0123abcd", "subnet_id": "subnet-xyz"},
        "context subnet_id='subnet-xyz': invalid; fix: use a subnet id like subnet-0abc1234def567890",
    ),
    (
        {"interactive_cluster": "sometimes"},
        "context interactive_cluster='sometimes': not a boolean; fix: use true or false, e.g. -c interactive_cluster=true",
    ),
    (
        {"schedule": "clicks"},
        "context schedule='clicks': unknown dataset 'clicks'; fix: write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. pageviews or pageviews@cron(30 4 * * ? *) (datasets: edits, pageviews, articles)",
    ),
    (
        {"schedule": "pageviews@cron(30 4 * *)"},
        "context schedule='pageviews@cron(30 4 * *)': not an EventBridge Scheduler cron() or rate() expression; fix: write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. pageviews or pageviews@cron(30 4 * * ? *) (datasets: edits, pageviews, articles)",
    ),
    (
        {"schedule": "pageviews@at(2026-12-01T00:00:00)"},
        "context schedule='pageviews@at(2026-12-01T00:00:00)': not an EventBridge Scheduler cron() or rate() expression; fix: write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. pageviews or pageviews@cron(30 4 * * ? *) (datasets: edits, pageviews, articles)",
    ),
    (
        {"schedule": "pageviews@rate(0 days)"},
        "context schedule='pageviews@rate(0 days)': not an EventBridge Scheduler cron() or rate() expression; fix: write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. pageviews or pageviews@cron(30 4 * * ? *) (datasets: edits, pageviews, articles)",
    ),
    (
        {"schedule": "pageviews, pageviews@rate(1 day)"},
        "context schedule='pageviews, pageviews@rate(1 day)': the same dataset twice; fix: schedule each dataset once",
    ),
    ({"alert_email": "ops"}, "context alert_email='ops': invalid; fix: use an address like team@example.com"),
    (
        {"contact": "call me"},
        "context contact='call me': invalid; fix: use a URL or an e-mail address, e.g. https://example.org/data-team or ops@example.org",
    ),
    ({"runtime": "lambda"}, "context runtime='lambda': unknown value; fix: use one of emr-ec2, emr-serverless"),
    (
        {"run_core_nodes_max": 1, "core_instance_count": 2},
        "context run_core_nodes_max=1: below core_instance_count (2), the fewest core nodes a run gets; "
        "fix: use at least 2",
    ),
    ({"run_core_nodes_max": 0}, "context run_core_nodes_max=0: out of range; fix: use a whole number >= 1"),
    (
        {"run_target_minutes": 5},
        "context run_target_minutes=5: out of range; fix: use a whole number from 10 to 180",
    ),
    (
        {"run_target_minutes": 181},
        "context run_target_minutes=181: out of range; fix: use a whole number from 10 to 180",
    ),
    (
        {"core_instance_type": "m5.metal"},
        "context core_instance_type='m5.metal': the pipeline cannot tell its vCPUs from the size name; "
        "fix: use a size like large, xlarge or 2xlarge (e.g. m5.xlarge)",
    ),
    (
        {"ingest_reserved_concurrency": 4},
        "context ingest_reserved_concurrency=4: out of range; fix: use a whole number from 1 to 3",
    ),
    (
        {"ingest_reserved_concurrency": "three"},
        "context ingest_reserved_concurrency='three': not a whole number; fix: use a whole number from 1 to 3",
    ),
    ({"serverless_max_vcpu": 0}, "context serverless_max_vcpu=0: out of range; fix: use a whole number >= 1"),
    (
        {"serverless_max_vcpu": "lots"},
        "context serverless_max_vcpu='lots': not a whole number; fix: use a whole number >= 1",
    ),
    (
        {"serverless_max_vcpu": 4},
        "context serverless_max_vcpu=4: below the 6 vCPUs of the edits job's driver and one executor; "
        "fix: use at least 6 (its peak is 18)",
    ),
    (
        {"serverless_max_memory_gb": 8},
        "context serverless_max_memory_gb=8: below the 18 GB of the edits job's driver and one executor; "
        "fix: use at least 18 (its peak is 58)",
    ),
    (
        {"serverless_max_memory_gb": 1.5},
        "context serverless_max_memory_gb=1.5: not a whole number; fix: use a whole number >= 1",
    ),
    (
        {"runtime": "emr-serverless", "ssh_cidrs": "203.0.113.7/32"},
        "context ssh_cidrs='203.0.113.7/32': configures EMR clusters and has no effect with runtime=emr-serverless; "
        "fix: leave ssh_cidrs empty, or use runtime=emr-ec2",
    ),
    (
        {"runtime": "emr-serverless", "steps": "edits@2015-09-12"},
        "context steps='edits@2015-09-12': configures EMR clusters and has no effect with runtime=emr-serverless; "
        "fix: leave steps empty, or use runtime=emr-ec2",
    ),
    (
        {"runtime": "emr-serverless", "key_pair_name": "ops"},
        "context key_pair_name='ops': configures EMR clusters and has no effect with runtime=emr-serverless; "
        "fix: leave key_pair_name empty, or use runtime=emr-ec2",
    ),
    (
        {"runtime": "emr-serverless", "interactive_cluster": True},
        "context interactive_cluster=True: the interactive cluster is EMR on EC2; "
        "fix: use runtime=emr-ec2 for it, or leave interactive_cluster=false",
    ),
    ({"runtim": "emr-serverless"}, "context runtim: unknown context key; fix: did you mean runtime?"),
]


def _case_id(overrides: dict) -> str:
    """The case's test id: its context as text, '::' spelled ': :' and other than ASCII as '?'
    (`mutmut run` selects each test by its node id, and cannot select one holding '::' or the
    escapes pytest writes for non-ASCII ids)."""
    text = str(overrides).replace("::", ": :")
    return "".join(c if c.isascii() else "?" for c in text)


@pytest.mark.parametrize("overrides, message", BAD_VALUES, ids=[_case_id(o) for o, _ in BAD_VALUES])
def test_bad_value_is_refused_in_one_line_naming_key_and_fix(overrides, message):
    with pytest.raises(ConfigError) as caught:
        parse(**overrides)
    assert str(caught.value) == message


def test_each_key_is_checked_alone_before_the_checks_that_combine_keys():
    """With several problems, the first reported is a key's own (in the settings table's order,
    which is cdk.json's), before any check that combines keys (here vpc_id without subnet_id)."""
    with pytest.raises(ConfigError, match=r"^context stack_prefix='1lake': invalid"):
        parse(vpc_id="vpc-0123abcd", stack_prefix="1lake")
    with pytest.raises(ConfigError, match=r"^context stage='qa': unknown value"):
        parse(run_target_minutes=5, stage="qa")
    with pytest.raises(ConfigError, match=r"^context subnet_id: vpc_id and subnet_id go together"):
        parse(vpc_id="vpc-0123abcd", budget_monthly_usd=10)


def test_values_exactly_at_a_bound_are_accepted():
    assert parse(athena_bytes_scanned_cutoff_gb="0.01").athena_bytes_scanned_cutoff == 10_000_000
    assert parse(budget_monthly_usd=1, budget_email="ops@example.com").budget_monthly_usd == 1.0
    assert parse(core_instance_count=2, task_instance_count=1, managed_scaling_max=3).managed_scaling_max == 3
    today = date.today().isoformat()
    assert parse(projection_start_date=today).projection_start_date == today
    assert [parse(idle_timeout_minutes=m).idle_timeout_minutes for m in (1, 10080)] == [1, 10080]
    config = parse(core_instance_count="+1", task_instance_count=" 0 ")
    assert (config.core_instance_count, config.task_instance_count) == (1, 0)


def test_booleans_from_the_command_line():
    assert [parse(kms=text).kms for text in ("true", "Yes", " 1 ", "on")] == [True] * 4
    assert [parse(kms=text).kms for text in ("false", "NO", "0", "off")] == [False] * 4


def test_empty_and_missing_optional_values_are_none():
    config = parse(bucket_name=None, key_pair_name="  ", ssh_cidrs=None, steps=["", " "])
    assert (config.bucket_name, config.key_pair_name, config.ssh_cidrs, config.steps) == (None, None, (), ())
    assert (config.contact, config.budget_monthly_usd, config.vpc_id) == (None, None, None)


def test_tags_and_names():
    config = parse(stack_prefix="Lake-A", cost_center="team:data")
    assert config.tags == {"Project": "wikilake", "Stage": "dev", "CostCenter": "team:data"}
    assert (config.name, config.database_name, config.is_prod) == ("Lake-A-dev", "lake_a_dev", False)


def test_ingest_reserves_no_concurrency_unless_asked():
    assert parse().ingest_reserved_concurrency is None
    assert parse(ingest_reserved_concurrency=" ").ingest_reserved_concurrency is None
    assert [parse(ingest_reserved_concurrency=n).ingest_reserved_concurrency for n in (1, "3")] == [1, 3]


@pytest.mark.parametrize("contact", ["ops@example.org", "https://example.org/data-team"])
def test_the_contact_for_the_pipelines_user_agent(contact):
    assert parse(contact=f" {contact} ").contact == contact


def test_missing_key_says_how_to_restore_it():
    context = dict(CDK_CONTEXT)
    del context["stage"]
    with pytest.raises(ConfigError, match="context stage: not set; fix: restore the stage default in cdk.json"):
        WikilakeConfig.from_context(context)


def test_cdk_keys_are_not_mistaken_for_typos():
    assert parse(**{"aws:cdk:enable-asset-metadata": True, "@aws-cdk/core:newStyleStackSynthesis": True})


def test_schedule_entries_bare_datasets_run_daily_and_cron_lists_stay_whole():
    from wikilake_settings.config import DEFAULT_SCHEDULE

    assert parse().schedule == () and parse().interactive_cluster is False
    config = parse(schedule="pageviews, edits@cron(0 6 ? * MON,WED *)", alert_email="ops@example.com")
    assert config.schedule == (("pageviews", DEFAULT_SCHEDULE), ("edits", "cron(0 6 ? * MON,WED *)"))
    assert DEFAULT_SCHEDULE == "cron(30 4 * * ? *)"
    assert config.alert_email == "ops@example.com"
    assert parse(schedule="pageviews@rate(1 day)").schedule == (("pageviews", "rate(1 day)"),)


def test_the_smallest_allowed_values_are_accepted():
    """Each bound itself passes: the jobs' smallest driver + executor (6 vCPUs, wikilake_core.datasets),
    SSH prefixes of exactly /8 (IPv4) and /32 (IPv6)."""
    smallest = max(d.size.smallest_vcpu for d in datasets.REGISTRY.values())
    assert parse(serverless_max_vcpu=smallest).serverless_max_vcpu == smallest == 6
    assert parse(ssh_cidrs="10.0.0.0/8, 2001:db8::/32").ssh_cidrs == ("10.0.0.0/8", "2001:db8::/32")


def test_a_cron_list_before_another_entry_stays_whole():
    from wikilake_settings.config import DEFAULT_SCHEDULE

    config = parse(schedule="edits@cron(0 6 ? * MON,WED *), pageviews")
    assert config.schedule == (("edits", "cron(0 6 ? * MON,WED *)"), ("pageviews", DEFAULT_SCHEDULE))


def test_serverless_needs_a_release_with_an_emr_serverless_image(monkeypatch):
    """Every release in the table has one today; a release without it (EMR on EC2 only) is refused."""
    ec2_only = EmrRelease("emr-7.0.0", spark_version="3.5.0", python="/usr/bin/python3")
    monkeypatch.setitem(RELEASES, ec2_only.label, ec2_only)
    with pytest.raises(ConfigError) as refused:
        parse(runtime="emr-serverless", release_label=ec2_only.label)
    assert str(refused.value) == (
        "context release_label='emr-7.0.0': has no EMR Serverless release; fix: use one of "
        f"{serverless_labels()} with runtime=emr-serverless, or runtime=emr-ec2"
    )
    assert parse(release_label=ec2_only.label).release == ec2_only  # EMR on EC2 takes it


def test_an_unknown_key_names_the_closest_known_one():
    with pytest.raises(ConfigError, match=r"^context ssh_cidr: unknown context key; fix: did you mean ssh_cidrs\?$"):
        parse(ssh_cidr="203.0.113.7/32")


# --- Delivery (docs/delivery.md) ------------------------------------------------------------------
CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
DELIVERY = {"delivery_repo": "my-org/wikilake", "delivery_connection_arn": CONNECTION, "contact": "ops@example.org"}


def test_delivery_is_off_by_default_and_on_with_repo_and_connection():
    assert parse().delivery is None
    source = parse(**DELIVERY, delivery_branch=" release/2026 ").delivery
    assert (source.repo, source.connection_arn, source.branch) == ("my-org/wikilake", CONNECTION, "release/2026")
    assert parse(**DELIVERY).delivery.branch == "main"  # cdk.json's default
    old_service = CONNECTION.replace("codeconnections", "codestar-connections")
    assert parse(**{**DELIVERY, "delivery_connection_arn": old_service}).delivery.connection_arn == old_service


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"delivery_repo": "my-org/wikilake"},
            "context delivery_connection_arn: delivery_repo and delivery_connection_arn go together; fix: set both to deploy the delivery pipeline (docs/delivery.md), or neither",
        ),
        (
            {"delivery_connection_arn": CONNECTION},
            "context delivery_repo: delivery_repo and delivery_connection_arn go together; fix: set both to deploy the delivery pipeline (docs/delivery.md), or neither",
        ),
        (
            {**DELIVERY, "delivery_repo": "https://github.com/my-org/wikilake"},
            "context delivery_repo='https://github.com/my-org/wikilake': invalid; fix: use the GitHub repository as OWNER/NAME, e.g. my-org/wikilake",
        ),
        (
            {**DELIVERY, "delivery_repo": "my-org/wikilake.git"},
            "context delivery_repo='my-org/wikilake.git': invalid; fix: use the GitHub repository as OWNER/NAME, e.g. my-org/wikilake",
        ),
        (
            {**DELIVERY, "delivery_connection_arn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/xyz"},
            "context delivery_connection_arn='arn:aws:codeconnections:eu-west-1:123456789012:connection/xyz': invalid; fix: use the ARN of an AVAILABLE connection, arn:aws:codeconnections:<region>:<account>:connection/<uuid> (docs/delivery.md)",
        ),
        (
            {**DELIVERY, "delivery_branch": "feature..x"},
            "context delivery_branch='feature..x': invalid; fix: use a branch name like main",
        ),
        (
            {**DELIVERY, "delivery_branch": "main.lock"},
            "context delivery_branch='main.lock': invalid; fix: use a branch name like main",
        ),
        (
            {**DELIVERY, "contact": ""},
            "context contact: the delivery pipeline's integration run downloads from dumps.wikimedia.org, which wants a contact; fix: set -c contact=<URL or e-mail> (docs/ingest.md)",
        ),
        (
            {"delivery_repos": "my-org/wikilake"},
            "context delivery_repos: unknown context key; fix: did you mean delivery_repo?",
        ),
    ],
)
def test_bad_delivery_values_fail_with_one_line(overrides, message):
    with pytest.raises(ConfigError) as caught:
        parse(**overrides)
    assert str(caught.value) == message


def test_delivery_builds_a_dev_and_a_prod_configuration_whatever_the_context_stage():
    from wikilake_settings.config import delivery_stage_configs

    certs = "s3://my-certs/emr/certs.zip"
    context = {**CDK_CONTEXT, **DELIVERY, "stage": "prod", "tls_certificates_s3_uri": certs}
    dev, prod = delivery_stage_configs(context)
    assert (dev.stage, prod.stage) == ("dev", "prod")
    assert (dev.stack_names["processing"], prod.stack_names["processing"]) == (
        "Wikilake-dev-Processing",
        "Wikilake-prod-Processing",
    )
    assert dev.delivery == prod.delivery == parse(**DELIVERY).delivery


def test_a_value_one_delivery_stage_refuses_names_that_stage():
    from wikilake_settings.config import delivery_stage_configs

    with pytest.raises(ConfigError) as caught:
        delivery_stage_configs({**CDK_CONTEXT, **DELIVERY})
    assert str(caught.value) == (
        "delivery prod stage: context tls_certificates_s3_uri: stage=prod requires in-transit encryption; "
        "fix: upload a PEM certificate zip (see docs/security.md) and pass "
        "-c tls_certificates_s3_uri=s3://<bucket>/<key>.zip"
    )


def test_the_pipeline_synth_gets_the_keys_that_differ_from_cdk_json_shell_quoted():
    import shlex

    from wikilake_settings.config import context_arguments

    context = {
        **CDK_CONTEXT,
        **DELIVERY,
        "kms": True,
        "ssh_cidrs": ["203.0.113.7/32", "198.51.100.0/24"],
        "schedule": "edits@cron(0 6 ? * MON,WED *)",
        "stage": "dev",  # cdk.json's value: not repeated
        "@aws-cdk/core:newStyleStackSynthesis": True,  # not one of the app's keys
    }
    arguments = context_arguments(context, CDK_CONTEXT)
    assert shlex.split(" ".join(arguments)) == [
        *("-c", "kms=true"),
        *("-c", "ssh_cidrs=203.0.113.7/32,198.51.100.0/24"),
        *("-c", "schedule=edits@cron(0 6 ? * MON,WED *)"),
        *("-c", "contact=ops@example.org"),
        *("-c", "delivery_repo=my-org/wikilake"),
        *("-c", f"delivery_connection_arn={CONNECTION}"),
    ]
    # what the pipeline's synth passes parses back to the same configuration
    parsed = dict(arg.split("=", 1) for arg in shlex.split(" ".join(arguments)) if arg != "-c")
    assert parse(**parsed) == parse(**{k: v for k, v in context.items() if k in parsed})
    assert context_arguments(CDK_CONTEXT, CDK_CONTEXT) == ()


def test_values_merged_in_this_round_read_back_and_their_bounds_pass():
    """Run sizing and delivery keys (docs/configuration.md): a core type read back, a run core
    maximum equal to the core count taken, a repository named `.` or `..` refused, and a key set
    to None in the context passed on as an empty `-c key=`."""
    from wikilake_settings.config import context_arguments

    assert parse(core_instance_type="m5.2xlarge").core_instance_type == "m5.2xlarge"
    assert parse(run_core_nodes_max=2, core_instance_count=2).run_core_nodes_max == 2
    for repo in ("my-org/.", "my-org/.."):
        with pytest.raises(ConfigError, match=r"^context delivery_repo='my-org/\.+': invalid; fix: use the GitHub"):
            parse(**{**DELIVERY, "delivery_repo": repo})
    assert context_arguments({**CDK_CONTEXT, "budget_email": None}, {**CDK_CONTEXT, "budget_email": "x"}) == (
        "-c budget_email=",
    )
