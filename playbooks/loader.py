"""Reading playbook YAML files, with problems that name file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from playbooks.models import BlockStep, EscalateAfterStep, NotifyStep, Playbook
from soc_core.config import Settings
from soc_core.yamlsrc import LineList, LineMap, YamlProblem, load_yaml

LIBRARY = Path(__file__).with_name("library")
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class PlaybookProblem:
    """Why a file is not a valid playbook: ``path:line: message``."""

    path: str
    line: int
    message: str
    # A valid playbook waiting for settings: the channel and responder ids it names that the
    # settings do not define (``channel soc-im``, ``responder edge``); empty for a broken file.
    waits_for: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """For ``soc playbooks check --json``."""
        return {"path": self.path, "line": self.line, "message": self.message}


def _line_of(doc: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest part of ``loc`` the YAML still knows."""
    line = getattr(doc, "line", 1)
    node = doc
    for part in loc:
        in_map = isinstance(node, LineMap) and isinstance(part, str) and part in node
        in_list = isinstance(node, LineList) and isinstance(part, int) and part < len(node)
        if in_map or in_list:
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, LineMap | LineList):
            continue  # a discriminator tag (e.g. "notify") in the location: stay on the item
        else:
            break
    return line


def load_playbook(path: Path) -> Playbook | PlaybookProblem:
    """The playbook in ``path``, or the first problem found in it."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return PlaybookProblem(where, 1, f"cannot read: {exc}")
    try:
        doc, problems = load_yaml(text)
    except YamlProblem as exc:
        return PlaybookProblem(where, exc.line, exc.message)
    if problems:
        line, message = problems[0]
        return PlaybookProblem(where, line, message)
    if not isinstance(doc, LineMap):
        return PlaybookProblem(where, 1, "a playbook is a mapping with id, name, trigger and steps")
    try:
        playbook = Playbook.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "playbook"
        return PlaybookProblem(where, _line_of(doc, tuple(first["loc"])), f"{field}: {first['msg']}")
    return playbook.model_copy(update={"path": where})


def playbook_files(paths: Iterable[Path]) -> list[Path]:
    """Every playbook file under ``paths`` (files or directories), sorted within each."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def load_playbooks(paths: Iterable[Path]) -> tuple[list[Playbook], list[PlaybookProblem]]:
    """Valid playbooks and the problems of the others; a duplicate id is a problem of the later file."""
    playbooks: list[Playbook] = []
    problems: list[PlaybookProblem] = []
    seen: dict[str, str] = {}
    for path in playbook_files(paths):
        loaded = load_playbook(path)
        if isinstance(loaded, PlaybookProblem):
            problems.append(loaded)
        elif loaded.id in seen:
            problems.append(
                PlaybookProblem(str(path), 1, f"id {loaded.id!r} is already used by {seen[loaded.id]}")
            )
        else:
            seen[loaded.id] = str(path)
            playbooks.append(loaded)
    return playbooks, problems


def playbook_paths(settings: Settings) -> list[Path]:
    """The shipped library (unless turned off) and the site's directories."""
    return ([LIBRARY] if settings.playbooks.shipped else []) + list(settings.playbooks.dirs)


def unresolved(playbook: Playbook, *, channels: set[str], responders: set[str]) -> list[str]:
    """Channel and responder ids a playbook names that the settings do not define."""
    return [
        f"step {index + 1} ({action}): no {kind} {name!r}"
        for index, action, kind, name in _missing(playbook, channels=channels, responders=responders)
    ]


def waits_for(playbook: Playbook, *, channels: set[str], responders: set[str]) -> tuple[str, ...]:
    """The undefined ids of ``unresolved``, once each in order: ``("channel soc-im", "responder edge")``."""
    found = _missing(playbook, channels=channels, responders=responders)
    return tuple(dict.fromkeys(f"{kind} {name}" for _index, _action, kind, name in found))


def named_ids(playbooks: Iterable[Playbook]) -> tuple[list[str], list[str]]:
    """(channel ids, responder ids) the playbooks' steps name, once each, in order of first use."""
    named: dict[str, dict[str, None]] = {"channel": {}, "responder": {}}
    for playbook in playbooks:
        for _index, _action, kind, name in _references(playbook):
            named[kind][name] = None
    return list(named["channel"]), list(named["responder"])


def _missing(
    playbook: Playbook, *, channels: set[str], responders: set[str]
) -> list[tuple[int, str, str, str]]:
    return [
        reference
        for reference in _references(playbook)
        if reference[3] not in (channels if reference[2] == "channel" else responders)
    ]


def _references(playbook: Playbook) -> Iterable[tuple[int, str, str, str]]:
    """(step index, action, "channel" | "responder", id) for every id the steps name."""
    for index, step in enumerate(playbook.steps):
        if isinstance(step, NotifyStep | EscalateAfterStep):
            for name in step.channels:
                yield index, step.action, "channel", name
        elif isinstance(step, BlockStep):
            yield index, step.action, "responder", step.responder


def summarise_problems(problems: Iterable[PlaybookProblem]) -> list[str]:
    """Log lines for ``problems``: each broken file on its own line, and one line for all the
    valid playbooks that wait for channels or responders the settings do not define yet (a
    fresh install's library waits for ``soc-mail``, ``soc-im`` and ``edge``)."""
    lines: list[str] = []
    waiting: list[PlaybookProblem] = []
    for problem in problems:
        if problem.waits_for:
            waiting.append(problem)
        else:
            lines.append(f"playbook not loaded: {problem}")
    if waiting:
        ids = sorted({name for problem in waiting for name in problem.waits_for})
        names = ", ".join(Path(problem.path).stem for problem in waiting)
        lines.append(
            f"{len(waiting)} playbook(s) not loaded until the settings define {', '.join(ids)} "
            f"([[playbooks.channels]] / [[playbooks.responders]]): {names}"
        )
    return lines
