"""Print the conformance tables at the end of the run (also when the tests pass)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conformance_corpus import REPORT

from collectors.parsers.declarative import load_shipped
from collectors.parsers.declarative.loader import registry_snapshot


@pytest.fixture(scope="package", autouse=True)
def _declared_parsers() -> Iterator[None]:
    """The shipped YAML parsers (netentsec.icg …), loaded as the platform does at start-up.

    Package scope: the registry is restored when the conformance tests end, so no other test
    depends on whether they ran first.
    """
    with registry_snapshot():
        load_shipped()
        yield


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, lines in REPORT.sections.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
