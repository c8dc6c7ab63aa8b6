"""`wikilake bench` runs the bench of the checkout it is called in as its own program (`python -m
bench`): the CLI imports none of the bench (tests/unit/test_import_rules.py)."""

from __future__ import annotations

from wikilake.cli import main
from wikilake.commands.bench import NOT_A_CHECKOUT
from wikilake_core.paths import PROJECT_ROOT


def test_the_verb_hands_its_arguments_to_the_checkouts_bench(monkeypatch, capfd):
    monkeypatch.chdir(PROJECT_ROOT)
    assert main(["bench", "--help"]) == 0
    assert capfd.readouterr().out.startswith("usage: make bench")  # bench/cli.py's own parser
    assert main(["bench", "--scales", "0"]) == 2  # the bench's usage error, its exit status
    assert "scales are whole factors >= 1" in capfd.readouterr().err


def test_outside_a_checkout_the_verb_says_where_to_run_it(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    assert main(["bench"]) == 1
    assert NOT_A_CHECKOUT in capfd.readouterr().err
