"""schemathesis against our own OpenAPI: generated requests to every operation never get a 5xx.

The caller holds every role one account may hold together (one admin role, 三员分立), so the
requests reach the route bodies rather than stopping at 403. Hypothesis is derandomised: the
same cases every run.
"""

from __future__ import annotations

import atexit
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from api_support import BASE_URL, alert, small_graph, store_alerts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from schemathesis.checks import not_a_server_error

from soc_api.app import create_app
from soc_api.context import AppContext
from soc_core.config import load_settings
from soc_core.state.db import open_state
from soc_core.state.users import create_user
from soc_core.storage.embedded import EmbeddedEventStore

FUZZER = "fuzzer"
FUZZER_PASSWORD = "Fuzz-Every-Route-2026"
FUZZER_ROLES = ["system_admin", "analyst", "network_admin", "compliance_officer"]
# Operations that would end the fuzzer's own session; each has its own tests.
SKIPPED_OPERATIONS = ("/api/v1/auth/logout", "/api/v1/auth/password")


def _platform() -> tuple[Any, dict[str, str]]:
    """The app over fresh stores in a temporary directory removed at exit.

    Built at import: schemathesis reads the schema when the module is collected.
    """
    tmp = Path(tempfile.mkdtemp(prefix="soc-fuzz-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    config = load_settings(data_dir=tmp / "data")
    state = open_state(f"sqlite:///{tmp / 'state.db'}")
    with state.session() as session:
        create_user(session, username=FUZZER, password=FUZZER_PASSWORD, roles=FUZZER_ROLES)
        create_user(session, username="analyst", password=FUZZER_PASSWORD + "x", roles=["analyst"])
    store_alerts(state, [alert(n) for n in range(6)])
    events = EmbeddedEventStore.open_writer(tmp / "data", config.store)
    atexit.register(events.close)
    graph = small_graph(tmp / "data")
    app = create_app(AppContext(settings=config, events=events, state=state, graph=graph))
    login = TestClient(app, base_url=BASE_URL).post(
        "/api/v1/auth/login", json={"username": FUZZER, "password": FUZZER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return app, {"Authorization": f"Bearer {login.json()['access_token']}"}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELLS = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40))


def _workbook(rows: list[list[Any]], cut: int) -> bytes:
    """A real .xlsx of ``rows`` (header row or not), cut short by ``cut`` bytes when ``cut`` > 0."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    return data[: len(data) - cut] if cut else data


# The asset register upload takes .xlsx bodies: real workbooks (some with the register's
# header), truncated ones and arbitrary bytes, not only what the JSON schema can describe.
schemathesis.openapi.media_type(
    XLSX,
    st.one_of(
        st.binary(max_size=2048),
        st.builds(
            _workbook,
            st.lists(st.lists(CELLS, max_size=8), max_size=6).map(
                lambda rows: [["IP地址", "资产名称", "所属单位", "重要程度", "安全域"], *rows]
            )
            | st.lists(st.lists(CELLS, max_size=8), max_size=6),
            st.sampled_from([0, 0, 1, 100]),
        ),
    ),
)

APP, HEADERS = _platform()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_answers_5xx(case: Any) -> None:
    if case.path in SKIPPED_OPERATIONS:
        return
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error])
