"""The optional compiled parse path (mypyc): stale builds are never used, ``SOC_PURE_PYTHON``
forces the sources, and compiled and Python modules turn every sample line into the same
events and dead letters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from collectors.compiled import (
    GROUP,
    MODULES,
    PURE_ENV,
    build_problems,
    digest,
    extension_of,
    manifest_of,
    source_of,
    stale_sources,
    status,
)

ROOT = Path(__file__).resolve().parents[1]
PARSERS_DIR = ROOT / "collectors" / "parsers"

# Parses every parser's sample lines (by dataset and with --format auto) and prints the
# outcomes as JSON, one per line: run in this process and in a pure-Python one.
_DUMP = """
import json, sys
from pathlib import Path
from collectors.compiled import status
from collectors.parse import parse_record
from collectors.parsers import PARSERS
from soc_core.records import RawRecord
out = {"compiled": status()[0], "outcomes": []}
for dataset, cls in sorted(PARSERS.items()):
    folder = Path(sys.argv[1]) / cls.__module__.split(".")[2] / "samples"
    for sample in sorted(folder.glob("*.log")) if folder.is_dir() else []:
        for number, line in enumerate(sample.read_bytes().split(b"\\n"), start=1):
            if not line.strip():
                continue
            record = RawRecord(data=line, received_at=1_795_766_400.0, origin="test",
                               peer="192.0.2.1:514", offset=number)
            for fmt in (dataset, "auto"):
                outcome = parse_record(record, fmt=fmt)
                out["outcomes"].append({
                    "line": f"{sample.name}:{number}", "fmt": fmt,
                    "events": [json.loads(e.to_json()) for e in outcome.events],
                    "dead_letter": None if outcome.dead_letter is None
                    else str(outcome.dead_letter.error),
                })
print(json.dumps(out))
"""


def _dump(pure: bool) -> dict[str, object]:
    env = {**os.environ, PURE_ENV: "1" if pure else "0"}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, str(PARSERS_DIR)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _fake_root(tmp_path: Path) -> Path:
    for module in MODULES:
        target = source_of(module, tmp_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"# {module}\n", "utf-8")
    return tmp_path


def _write_manifest(root: Path, python: str = sys.version) -> Path:
    manifest = manifest_of(root)
    sources = {module: digest(source_of(module, root)) for module in MODULES}
    manifest.write_text(json.dumps({"python": python, "sources": sources}), "utf-8")
    return manifest


def test_a_changed_source_makes_the_build_stale(tmp_path: Path) -> None:
    root = _fake_root(tmp_path)
    assert stale_sources(root) == list(MODULES)  # never built
    _write_manifest(root)
    assert stale_sources(root) == []
    source_of("collectors.parsers.huawei_usg.vrp", root).write_text("# edited\n", "utf-8")
    assert stale_sources(root) == ["collectors.parsers.huawei_usg.vrp"]
    _write_manifest(root, python="3.11.0 (another build)")
    assert stale_sources(root) == list(MODULES)
    manifest_of(root).write_text("{not json", "utf-8")
    assert stale_sources(root) == list(MODULES)


def test_a_build_with_missing_or_leftover_modules_is_not_used(tmp_path: Path) -> None:
    """Only a complete build of the current module list is used: a leftover compiled module
    (Python would prefer it to its source) or a missing shared library disqualify it."""
    root = _fake_root(tmp_path)
    _write_manifest(root)
    for module in MODULES:
        extension_of(module, root).write_bytes(b"")
    shared = root / f"{GROUP}__mypyc{sysconfig.get_config_var('EXT_SUFFIX')}"
    shared.write_bytes(b"")
    assert build_problems(root) == []
    leftover = extension_of("collectors.parsers.cef_log.parser", root)
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"")
    assert build_problems(root) == ["collectors.parsers.cef_log.parser is left from an older build"]
    leftover.unlink()
    extension_of("collectors.decode", root).unlink()
    shared.unlink()
    assert build_problems(root) == [
        "collectors.decode is not compiled",
        f"the shared library {GROUP}__mypyc is missing",
    ]


def test_pure_python_is_forced_by_the_environment() -> None:
    code = (
        "import collectors.decode, collectors.parsers.huawei_usg.vrp as vrp\n"
        "from collectors.compiled import status\n"
        "print(collectors.decode.__file__, vrp.__file__, status())"
    )
    env = {**os.environ, PURE_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    decode_file, vrp_file, *rest = done.stdout.split(" ", 2)
    assert decode_file.endswith("collectors/decode.py") and vrp_file.endswith("huawei_usg/vrp.py")
    assert "False" in rest[0] and PURE_ENV in rest[0]


def test_this_process_reports_how_it_parses() -> None:
    import collectors.decode

    compiled, why = status()
    assert compiled == (not str(collectors.decode.__file__).endswith(".py"))
    assert why
    print(f"parse path in this test run: {'compiled' if compiled else 'Python'} ({why})")


def test_compiled_and_python_parse_every_sample_alike() -> None:
    compiled = _dump(pure=False)
    if not compiled["compiled"]:
        pytest.skip(f"the parse path is not compiled here ({status()[1]}): nothing to compare")
    python = _dump(pure=True)
    assert python["compiled"] is False
    assert isinstance(compiled["outcomes"], list) and isinstance(python["outcomes"], list)
    assert len(compiled["outcomes"]) == len(python["outcomes"]) > 900
    for ours, reference in zip(compiled["outcomes"], python["outcomes"], strict=True):
        assert ours == reference, ours["line"]


def test_without_a_compiler_the_build_says_so_and_leaves_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh Debian without gcc: ``make run`` must go on, as Python, and say why."""
    from collectors.accelerate import build

    root = _fake_root(tmp_path)
    leftover = extension_of("collectors.decode", root)
    leftover.write_bytes(b"")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: None if name == "CC" else real(name))
    compiled, message = build(root)
    assert not compiled
    assert message == "running as Python: no C compiler (install gcc)"
    assert not leftover.exists()  # a half-built or stale module must not stay in charge
