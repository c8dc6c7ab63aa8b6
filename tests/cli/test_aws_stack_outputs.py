"""Merging the three stacks' outputs and naming what is missing (pure, no AWS)."""

import pytest

from wikilake.aws.stack import NOT_DEPLOYED, StackInfo, StackOutputs
from wikilake_core.errors import WikilakeError


def outputs(*stacks):
    return StackOutputs("eu-west-1", stacks)


def test_outputs_of_usable_stacks_are_merged():
    merged = outputs(
        StackInfo("S", "UPDATE_COMPLETE", {"A": "1"}),
        StackInfo("C", "UPDATE_ROLLBACK_COMPLETE", {"B": "2"}),
        StackInfo("P", "ROLLBACK_COMPLETE", {"C": "3"}),
    )
    assert merged.values == {"A": "1", "B": "2"}
    assert merged.require("B") == "2"


@pytest.mark.parametrize(
    "stacks, message",
    [
        (
            (StackInfo("S", "CREATE_COMPLETE", {"A": "1"}), StackInfo("P", NOT_DEPLOYED, {})),
            "stack output X not found: P is not deployed in eu-west-1",
        ),
        (
            (StackInfo("S", NOT_DEPLOYED, {}), StackInfo("P", "ROLLBACK_COMPLETE", {"X": "1"})),
            "stack output X not found: S is not deployed; P is ROLLBACK_COMPLETE in eu-west-1",
        ),
        (
            (StackInfo("S", "DELETE_IN_PROGRESS", {"X": "1"}),),
            "stack output X not found: S is DELETE_IN_PROGRESS in eu-west-1",
        ),
        (
            (StackInfo("S", "CREATE_COMPLETE", {"A": "1"}), StackInfo("P", "CREATE_COMPLETE", {})),
            "stack output X not found in S, P: redeploy them with this version of wikilake",
        ),
    ],
)
def test_a_missing_output_names_the_stacks(stacks, message):
    with pytest.raises(WikilakeError) as raised:
        outputs(*stacks).require("X")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
