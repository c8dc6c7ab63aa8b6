"""Says, in context keys, under which configuration a synthesized fact (an output, an
acknowledgment, a checkov skip) appears, from the test configurations that have it and those that
do not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations

# The context keys a fact may depend on, causes first: when two descriptions fit the test
# configurations equally well, the earlier one is said (the full variant, with certificates, an
# interactive cluster and kms=true, cannot tell those apart by itself).
ATOMS: tuple[tuple[str, Callable[[object], bool]], ...] = (
    ("`interactive_cluster=true`", lambda c: c.interactive_cluster),
    ("`tls_certificates_s3_uri` set", lambda c: bool(c.tls_certificates_s3_uri)),
    ("no `tls_certificates_s3_uri`", lambda c: not c.tls_certificates_s3_uri),
    ("no `key_pair_name`", lambda c: not c.key_pair_name),
    ("`kms=true`", lambda c: c.kms),
    ("`kms=false`", lambda c: not c.kms),
    ("`runtime=emr-ec2`", lambda c: c.runtime == "emr-ec2"),
    ("`runtime=emr-serverless`", lambda c: c.runtime == "emr-serverless"),
)
ALWAYS = "always"
MOST_ATOMS = 2


class NoCondition(AssertionError):
    pass


def condition(having: Iterable[str], configs: dict[str, object]) -> str:
    """The fewest ATOMS (and-ed, at most two) that hold for exactly the stacks ``having`` among
    ``configs`` (stack name -> its config): "always", or e.g. "`runtime=emr-ec2`, no `key_pair_name`"."""
    having = set(having)
    if having == set(configs):
        return ALWAYS
    for size in range(1, MOST_ATOMS + 1):
        for atoms in combinations(ATOMS, size):
            if {name for name, config in configs.items() if all(test(config) for _, test in atoms)} == having:
                return ", ".join(label for label, _ in sorted(atoms, key=_said_order))
    raise NoCondition(
        f"no condition of tests/infra/conditions.py ATOMS describes exactly the stacks {sorted(having)} "
        f"among {sorted(configs)}: add the context key it depends on"
    )


def _said_order(atom: tuple[str, Callable]) -> int:
    """Runtime first, then the rest in ATOMS' order: reads "`runtime=emr-ec2`, no `key_pair_name`"."""
    index = ATOMS.index(atom)
    return index - len(ATOMS) if "runtime" in atom[0] else index
