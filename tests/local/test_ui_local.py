"""`wikilake ui --local`: pyspark's own Spark History Server over a local run's event log, on
loopback, listing the run's application; its one-line errors; the server ends with the command."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from wikilake.cli import main
from wikilake.local import history_server
from wikilake_core import layout


def test_the_history_server_serves_the_runs_application_and_stops_with_the_command(capsys, small_runs, monkeypatch):
    manifest = small_runs.days["edits"]
    seen = {}

    def serve_once(server):
        """In place of waiting for Ctrl-C: what a browser would see, then the command's own stop."""
        seen["applications"] = server.applications()
        seen["url"] = capsys.readouterr().out.splitlines()[0]
        with urllib.request.urlopen(seen["url"], timeout=30) as page:
            seen["page"] = (page.status, page.read().decode())
        seen["server"] = server
        server.stop()

    monkeypatch.setattr(history_server.HistoryServer, "wait", serve_once)
    assert main(["ui", "edits", "--date", manifest["dt"], "--local", "--lake", str(small_runs.lake)]) == 0

    application = manifest["profile"]["application_id"]
    assert [a["id"] for a in seen["applications"]] == [application]
    assert seen["applications"][0]["attempts"][0]["completed"] is True
    assert seen["url"] == f"http://127.0.0.1:{seen['server'].port}/history/{application}/"
    status, page = seen["page"]
    assert status == 200 and "Spark Jobs" in page
    assert seen["server"].process.poll() is not None  # no server left running


def test_a_day_without_a_run_is_one_line_and_exit_1(capsys, tmp_path):
    assert main(["ui", "edits", "--date", "2015-09-12", "--local", "--lake", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"wikilake: error: no run of edits dt=2015-09-12 in the lake {tmp_path}: run it first\n"


def test_a_run_without_its_event_log_is_one_line_and_exit_1(capsys, tmp_path):
    path = Path(layout.manifest_path(str(tmp_path), "edits", "2015-09-12"))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"dataset": "edits", "dt": "2015-09-12", "run_id": "r1"}))
    assert main(["ui", "edits", "--date", "2015-09-12", "--local", "--lake", str(tmp_path)]) == 1
    folder = layout.event_log_dir(str(tmp_path), "edits", "2015-09-12", "r1")
    assert (
        capsys.readouterr().err == f"wikilake: error: edits dt=2015-09-12: no Spark event log of its run at {folder}\n"
    )
