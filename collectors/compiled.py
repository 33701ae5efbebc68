"""Compiled parse path: the hot parser modules built as C extensions with mypyc, when possible.

Every parsed line runs the syslog decoder and a vendor parser; compiled, the Huawei and H3C
firewall and Suricata EVE paths parse 1.3 to 1.7 times as many lines a second. The build is
optional: without a C compiler or the Python headers the platform runs the same modules as
Python (``make run`` and ``make test`` try the build and say which it is).

The extensions sit beside their sources (Python prefers them there). A source edited after
the build would leave a stale extension in charge, so the build records each source's SHA-256
in ``collectors/_compiled.json``; at import, :func:`guard` compares them, and if any differs
— or ``SOC_PURE_PYTHON=1`` is set — every compiled module is loaded from its ``.py`` instead
(all or none: compiled modules of one build call each other directly).

``python -m collectors.accelerate build|status|clean`` builds, reports and removes them.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
GROUP = "shaowang_parse"  # the shared library is <GROUP>__mypyc.<suffix> at the project root
PURE_ENV = "SOC_PURE_PYTHON"

# The parse path of every line and the parsers bench/parse.py measures (Huawei/H3C firewall,
# Suricata EVE; EVE's msgspec shapes stay Python: mypyc does not compile Struct subclasses).
MODULES: tuple[str, ...] = (
    "collectors.decode",
    "collectors.parse",
    "collectors.parsers.common",
    "collectors.parsers.timeparse",
    "collectors.parsers.vendor",
    "collectors.parsers.structs",
    "collectors.parsers.json_depth",
    "collectors.parsers.huawei_usg.vrp",
    "collectors.parsers.huawei_usg.parser",
    "collectors.parsers.h3c_secpath.comware",
    "collectors.parsers.h3c_secpath.parser",
    "collectors.parsers.suricata_eve.objects",
    "collectors.parsers.suricata_eve.parser",
)


def source_of(module: str, root: Path = ROOT) -> Path:
    """``collectors.decode`` → ``<root>/collectors/decode.py``."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def _extension_suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def extension_of(module: str, root: Path = ROOT) -> Path:
    """Where the compiled module of ``module`` lives (beside its source)."""
    return source_of(module, root).with_suffix(_extension_suffix())


def manifest_of(root: Path = ROOT) -> Path:
    """The build's record of its sources and Python."""
    return root / "collectors" / "_compiled.json"


def digest(path: Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stale_sources(root: Path = ROOT) -> list[str]:
    """Modules whose source differs from the build recorded in the manifest (all of them when
    there is no readable manifest, or it was built by another Python)."""
    try:
        recorded = json.loads(manifest_of(root).read_text("utf-8"))
        sources = recorded["sources"]
        same_python = recorded.get("python") == sys.version
    except (OSError, ValueError, KeyError, TypeError):
        return list(MODULES)
    return [
        module
        for module in MODULES
        if not same_python
        or not source_of(module, root).is_file()
        or sources.get(module) != digest(source_of(module, root))
    ]


def extension_modules(root: Path = ROOT) -> list[str]:
    """Modules under ``collectors/`` that have a compiled file on disk — including any left by
    an older build whose module list was longer (Python would still prefer it)."""
    suffix = _extension_suffix()
    found = []
    for path in sorted((root / "collectors").rglob(f"*{suffix}")):
        relative = path.relative_to(root).as_posix()[: -len(suffix)]
        found.append(relative.replace("/", "."))
    return found


def build_problems(root: Path = ROOT, on_disk: Iterable[str] | None = None) -> list[str]:
    """Why the compiled modules on disk must not be used (empty when they match the sources):
    changed sources, a module missing or left over from another module list, no shared library.
    ``on_disk`` is :func:`extension_modules` when the caller already has it."""
    on_disk = set(extension_modules(root) if on_disk is None else on_disk)
    problems = [f"{module} changed since the build" for module in stale_sources(root)]
    problems += [f"{module} is not compiled" for module in MODULES if module not in on_disk]
    problems += [f"{module} is left from an older build" for module in sorted(on_disk - set(MODULES))]
    if not any(root.glob(f"{GROUP}__mypyc*{_extension_suffix()}")):
        problems.append(f"the shared library {GROUP}__mypyc is missing")
    return problems


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads our compiled modules from their ``.py`` source (stale build, or pure Python asked)."""

    def __init__(self, root: Path, on_disk: Iterable[str]) -> None:
        self._root = root
        self._names = frozenset(MODULES) | frozenset(on_disk)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._names:
            return None
        source = source_of(fullname, self._root)
        return importlib.util.spec_from_file_location(fullname, source)


_why: list[str] = []  # the guard's verdict, once per process


def guard(root: Path = ROOT) -> None:
    """Before our modules are imported: fall back to the sources if the build is stale or
    ``SOC_PURE_PYTHON`` is set. Called once from ``collectors/__init__.py``."""
    if _why:
        return
    on_disk = extension_modules(root)
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        reason = f"{PURE_ENV} is set"
    elif not on_disk:
        _why.append("not compiled (run `python -m collectors.accelerate build`)")
        return
    else:
        problems = build_problems(root, on_disk)
        if not problems:
            _why.append(f"{len(MODULES)} modules compiled with mypyc")
            return
        reason = f"compiled modules are stale ({'; '.join(problems[:3])})"
        print(f"shaowang: {reason}; running them as Python until rebuilt", file=sys.stderr)
    sys.meta_path.insert(0, _SourceFirst(root, on_disk))
    _why.append(reason)


def status() -> tuple[bool, str]:
    """(whether the parse path runs compiled, why) — as the modules were actually loaded."""
    import collectors.decode

    compiled = not str(collectors.decode.__file__).endswith(".py")
    return compiled, _why[0] if _why else ""
