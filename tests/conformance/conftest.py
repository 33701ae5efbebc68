"""Print the conformance tables at the end of the run (also when the tests pass)."""

from __future__ import annotations

from typing import Any

from conformance_corpus import REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, lines in REPORT.sections.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
