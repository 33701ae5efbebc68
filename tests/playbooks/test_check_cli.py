"""``soc playbooks check``: the JSON summary and errors that name file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playbooks.engine import build_engine
from playbooks.loader import LIBRARY, playbook_files, summarise_problems
from soc_core.config import load_settings
from soc_core.state.db import open_state


def soc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "soc_api.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_library_checks_clean() -> None:
    done = soc("playbooks", "check", str(LIBRARY), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["errors"] == []
    assert summary["playbooks"] == summary["valid"] >= 8


def test_errors_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "good.yml").write_text(
        "id: good\nname: 好\ntrigger: {on: alert}\nsteps:\n  - {action: enrich}\n", encoding="utf-8"
    )
    (tmp_path / "bad-ttl.yml").write_text(
        "id: bad\nname: 坏\ntrigger: {on: alert}\nsteps:\n  - {action: enrich}\n"
        "  - {action: block, responder: edge, ttl: 3 weeks}\n",
        encoding="utf-8",
    )
    (tmp_path / "bad-action.yaml").write_text(
        "id: worse\nname: 更坏\ntrigger:\n  on: alert\nsteps:\n  - action: reboot_everything\n",
        encoding="utf-8",
    )
    (tmp_path / "dup.yml").write_text(
        "id: good\nname: 重复\ntrigger: {on: alert}\nsteps: [{action: enrich}]\n", encoding="utf-8"
    )
    (tmp_path / "broken.yml").write_text("id: [\n", encoding="utf-8")
    done = soc("playbooks", "check", str(tmp_path), "--json")
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert (summary["playbooks"], summary["valid"]) == (5, 1)
    errors = {Path(e["path"]).name: (e["line"], e["message"]) for e in summary["errors"]}
    assert errors["bad-ttl.yml"][0] == 6 and "not a duration: '3 weeks'" in errors["bad-ttl.yml"][1]
    assert errors["bad-action.yaml"][0] == 6 and "reboot_everything" in errors["bad-action.yaml"][1]
    assert errors["good.yml"][1] == "id 'good' is already used by " + str(
        tmp_path / "dup.yml"
    )  # files load sorted
    assert errors["broken.yml"][1].startswith("invalid YAML")


def test_start_up_log_names_broken_files_one_by_one_and_waiting_playbooks_in_one_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.yml").write_text("id: [\n", encoding="utf-8")
    (site / "notify-ops.yml").write_text(
        "id: notify-ops\nname: 通知运维\ntrigger: {on: alert}\nsteps:\n"
        "  - {action: notify, channels: [ops-im, soc-im]}\n",
        encoding="utf-8",
    )
    settings = load_settings(
        data_dir=tmp_path / "data",
        playbooks={
            "dirs": [site],
            "channels": [{"id": "soc-mail", "kind": "file", "path": str(tmp_path / "o")}],
        },
    )
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        engine, problems = build_engine(settings, state)
        engine.stop()
    finally:
        state.close()
    lines = summarise_problems(problems)
    assert len(lines) == 2
    assert lines[0].startswith(f"playbook not loaded: {site / 'broken.yml'}:2: invalid YAML")
    waiting = [Path(p.path).stem for p in problems if p.waits_for]
    assert len(waiting) == len(playbook_files([LIBRARY])) + 1 - len(engine.playbooks)
    assert lines[1] == (
        f"{len(waiting)} playbook(s) not loaded until the settings define channel ops-im, "
        "channel soc-im, responder edge ([[playbooks.channels]] / [[playbooks.responders]]): "
        + ", ".join(waiting)
    )
    assert "notify-ops" in waiting and "brute-force-block" in waiting
    assert "source-silent" not in waiting  # it only needs soc-mail, which is defined: it loads
