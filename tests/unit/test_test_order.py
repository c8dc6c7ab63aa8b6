"""The suite's own scheduling list names test files that exist."""

from pathlib import Path

from tests.schedule import LONGEST_FIRST

ROOT = Path(__file__).resolve().parents[2]


def test_longest_first_names_existing_test_files_once():
    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    assert not missing
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
