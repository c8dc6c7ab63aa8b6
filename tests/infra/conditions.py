"""Says, in context keys, under which configuration a synthesized fact (an output, an
acknowledgment, a checkov skip, a role's permission) appears, from the test configurations that
have it and those that do not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations

Atom = tuple[str, Callable[[object], bool]]

# The context keys a fact may depend on. The first conjunction (fewest atoms first, then in this
# order) that holds for exactly the configurations having the fact is said. A handful of test
# configurations cannot always tell causes apart (the `full` one sets nearly every key), so the
# order puts the usual causes first and HINTS names the cause where the order would not.
ATOMS: tuple[Atom, ...] = (
    ("`runtime=emr-ec2`", lambda c: c.runtime == "emr-ec2"),
    ("`runtime=emr-serverless`", lambda c: c.runtime == "emr-serverless"),
    ("`interactive_cluster=true`", lambda c: c.interactive_cluster),
    ("`tls_certificates_s3_uri` set", lambda c: bool(c.tls_certificates_s3_uri)),
    ("no `tls_certificates_s3_uri`", lambda c: not c.tls_certificates_s3_uri),
    ("no `vpc_id`", lambda c: not c.vpc_id),
    ("no `key_pair_name`", lambda c: not c.key_pair_name),
    ("`kms=true`", lambda c: c.kms),
    ("`kms=false`", lambda c: not c.kms),
    ("`stage=dev`", lambda c: c.stage == "dev"),
    ("`stage=prod`", lambda c: c.stage == "prod"),
    ("`schedule` set", lambda c: bool(c.schedule)),
    ("`interactive_cluster=false`", lambda c: not c.interactive_cluster),
)
# Subject (construct path or output name) -> the conditions that cause its facts, each a tuple of
# ATOMS' labels; the first that holds for exactly the configurations having a fact is said.
HINTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # the interactive cluster's in-transit finding depends on the certificates, not on `schedule`
    "Cluster": (
        ("`interactive_cluster=true`", "`tls_certificates_s3_uri` set"),
        ("`interactive_cluster=true`", "no `tls_certificates_s3_uri`"),
    ),
    # the stack creates a key pair (and its parameter) when none is named, whatever the VPC
    "KeyPairPrivateKeySsmParameter": (("`runtime=emr-ec2`", "no `key_pair_name`"),),
    # an audit log group: retained in prod (the one serverless test configuration is prod)
    "ServerlessJobLogs": (("`runtime=emr-serverless`", "`stage=prod`"),),
}
ALWAYS = "always"
MOST_ATOMS = 2


class NoCondition(AssertionError):
    pass


def condition(having: Iterable[str], configs: dict[str, object], subject: str = "") -> str:
    """The condition, e.g. "`runtime=emr-ec2`, no `key_pair_name`", that holds for exactly the
    stacks ``having`` among ``configs`` (stack name -> its config); "always" for all of them."""
    having = set(having)
    if having == set(configs):
        return ALWAYS
    hinted = [tuple(atom for atom in ATOMS if atom[0] in labels) for labels in HINTS.get(subject, ())]
    general = [chosen for size in range(1, MOST_ATOMS + 1) for chosen in combinations(ATOMS, size)]
    for chosen in hinted + general:
        if {name for name, config in configs.items() if all(test(config) for _, test in chosen)} == having:
            return ", ".join(label for label, _ in chosen)
    raise NoCondition(
        f"no condition of tests/infra/conditions.py ATOMS describes exactly the stacks {sorted(having)} "
        f"among {sorted(configs)}: add the context key it depends on"
    )
