"""``soc playbooks check``: the JSON summary and errors that name file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playbooks.loader import LIBRARY


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
