"""Build, report or remove the compiled parse path (see :mod:`collectors.compiled`).

``python -m collectors.accelerate build [--force]`` compiles the modules when their sources
changed since the last build (``make run`` and ``make test`` call it); without a C compiler, the
Python headers or mypyc it says so and the platform runs as Python. ``status``, ``clean``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from collectors.compiled import (
    GROUP,
    MODULES,
    ROOT,
    build_problems,
    digest,
    extension_modules,
    extension_of,
    manifest_of,
    source_of,
    status,
)


def _missing_toolchain() -> str | None:
    compiler = str(sysconfig.get_config_var("CC") or "cc").split()[0]  # "gcc -pthread" → gcc
    if shutil.which(compiler) is None and shutil.which("cc") is None:
        return "no C compiler (install gcc)"
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.exists():
        return f"no Python headers ({include} missing; install python3-dev)"
    if importlib.util.find_spec("mypyc") is None:
        return "mypyc is not installed (pip install mypy)"
    return None


def clean(root: Path = ROOT) -> None:
    """Remove the compiled modules (also those of an older module list) and the manifest."""
    for module in {*MODULES, *extension_modules(root)}:
        extension_of(module, root).unlink(missing_ok=True)
    for shared in root.glob(f"{GROUP}__mypyc*"):
        shared.unlink()
    manifest_of(root).unlink(missing_ok=True)


_BUILD_SCRIPT = """
import sys
from setuptools import setup
from mypyc.build import mypycify
paths, temp = sys.argv[1:-1], sys.argv[-1]
setup(
    name="shaowang-parse-accel",
    ext_modules=mypycify(paths, group_name="{group}", target_dir=temp + "/c"),
    script_args=["build_ext", "--inplace", "--build-temp", temp + "/obj"],
)
"""


def build(root: Path = ROOT, *, force: bool = False) -> tuple[bool, str]:
    """Compile :data:`MODULES` in place; (compiled, message). Never raises on a failed build:
    the platform then runs as Python."""
    if not force and not build_problems(root):
        return True, "compiled modules are current"
    missing = _missing_toolchain()
    if missing is not None:
        clean(root)
        return False, f"running as Python: {missing}"
    temp = root / ".venv" / "mypyc-build" if (root / ".venv").is_dir() else root / "build" / "mypyc"
    paths = [str(source_of(module, root).relative_to(root)) for module in MODULES]
    digests = {module: digest(source_of(module, root)) for module in MODULES}
    clean(root)
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT.format(group=GROUP), *paths, str(temp)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPY_CACHE_DIR": str(temp / "mypy-cache")},
        check=False,
    )
    if done.returncode != 0:
        clean(root)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        return False, f"running as Python: the mypyc build failed:\n{tail}"
    manifest = {"python": sys.version, "sources": digests}
    manifest_of(root).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
    return True, f"compiled {len(MODULES)} parse modules with mypyc"


def main(argv: Sequence[str] | None = None) -> int:
    """``build`` (only when stale; ``--force`` always), ``status`` or ``clean``."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "status"
    if command == "build":
        _, message = build(force="--force" in args)
        print(f"parse path: {message}")
        return 0
    if command == "clean":
        clean()
        print("parse path: compiled modules removed")
        return 0
    if command == "status":
        compiled, why = status()
        print(f"parse path: {'compiled' if compiled else 'Python'} ({why})")
        return 0
    print("usage: python -m collectors.accelerate [build [--force] | status | clean]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
