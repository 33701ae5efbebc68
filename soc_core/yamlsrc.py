"""YAML with line numbers: every mapping and list remembers the line of each key and item.

PyYAML's safe loader, with two changes that matter for definitions written by hand:

* keys are kept exactly as written (``on:``, ``no:``, ``1:`` stay the text ``"on"``, ``"no"``,
  ``"1"``; YAML 1.1 would turn them into booleans and numbers, which breaks value maps);
* a key written twice is an error at the second line, not silently the last value.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["LineList", "LineMap", "YamlProblem", "load_yaml"]


class LineMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """The line of ``key`` (the mapping's line when the key is absent)."""
        return self.lines.get(key, self.line)


class LineList(list[Any]):
    """A list that knows its own line and the line of each item (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        """The line of item ``index``."""
        return self.lines[index] if index < len(self.lines) else self.line


class YamlProblem(Exception):
    """The text is not valid YAML (or not one document); ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[tuple[int, str]] = []


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            loader.problems.append((line, "a key must be plain text"))
            continue
        key = str(key_node.value)
        if key in out.lines:
            loader.problems.append((line, f"key {key!r} is written twice (first at line {out.lines[key]})"))
            continue
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(node.start_mark.line + 1)
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.lines.append(item.start_mark.line + 1)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load_yaml(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """The document in ``text`` and the (line, problem) pairs found while reading it.

    Raises ``YamlProblem`` when the text is not one valid YAML document.
    """
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", 1) from None
    except RecursionError:
        raise YamlProblem("invalid YAML: nested too deeply", 1) from None
    finally:
        loader.dispose()
    return data, loader.problems
