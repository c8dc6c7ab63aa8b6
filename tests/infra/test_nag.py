"""cdk-nag AwsSolutions: the app synthesizes with zero unacknowledged findings, and every
acknowledgment matches a real finding (none is stale, none is broader than one finding id)."""

import json

import pytest

from stacks import nag

from .conftest import build_app


def violations(outdir) -> set[tuple[str, str]]:
    """(construct path, finding id) pairs of the synth's validation report."""
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        (construct["constructPath"], violation["ruleName"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }


@pytest.fixture(scope="session")
def findings_without_acknowledgments(tmp_path_factory):
    """Synthesize with nag but with acknowledge() only recording: what would nag report, and
    which acknowledgments does the code make."""
    outdir = tmp_path_factory.mktemp("nag-raw")
    recorded = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            nag,
            "acknowledge",
            lambda construct, finding, reason: recorded.append((construct.node.path, finding, reason)),
        )
        app, _ = build_app(outdir, with_nag=True)
        with pytest.raises(Exception, match="ValidationFailed"):
            app.synth()
    return violations(outdir), recorded


def test_synth_with_nag_has_no_unacknowledged_findings(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("nag")
    app, _ = build_app(outdir, with_nag=True)
    app.synth()  # raises ValidationFailed on any error-level finding
    assert violations(outdir) == set()


def covers(acknowledgment, finding) -> bool:
    """An acknowledgment on a construct covers that construct and everything under it."""
    (ack_path, ack_id, _), (path, finding_id) = acknowledgment, finding
    return ack_id == finding_id and (path == ack_path or path.startswith(ack_path + "/"))


def test_acknowledgments_and_findings_match_one_to_one(findings_without_acknowledgments):
    findings, acknowledgments = findings_without_acknowledgments
    assert findings, "nag found nothing at all: is the plugin registered?"
    assert [f for f in sorted(findings) if not any(covers(a, f) for a in acknowledgments)] == []
    assert [a[:2] for a in acknowledgments if not any(covers(a, f) for f in findings)] == []


def test_every_acknowledgment_names_one_exact_finding_with_a_specific_reason(findings_without_acknowledgments):
    _, acknowledgments = findings_without_acknowledgments
    for path, finding, reason in acknowledgments:
        assert finding.startswith("AwsSolutions-"), finding
        if finding.split("[")[0] in ("AwsSolutions-IAM4", "AwsSolutions-IAM5"):
            assert "[" in finding, f"{path}: granular rule acknowledged without its finding: {finding}"
        assert len(reason) >= 60, f"{path} {finding}: reason too vague: {reason!r}"
