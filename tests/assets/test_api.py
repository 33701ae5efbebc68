"""Asset and zone routes through the real FastAPI app: role matrix, CRUD, import uploads, zones."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from soc_api.app import create_app
from soc_api.auth.permissions import MATRIX, Permission
from soc_api.context import AppContext
from soc_core.audit import list_audit
from soc_core.config import load_settings
from soc_core.state.db import StateStore, open_state
from soc_core.state.users import create_user
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.vocabulary import Role

PASSWORD = "Gongan-Lan-2024"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = {Role.ANALYST, Role.SECURITY_ADMIN, Role.NETWORK_ADMIN, Role.SYSTEM_ADMIN, Role.COMPLIANCE_OFFICER}
MANAGERS = {Role.NETWORK_ADMIN, Role.SYSTEM_ADMIN}


class Api:
    """A test client that logs in as one user per role."""

    def __init__(self, client: TestClient, state: StateStore) -> None:
        self.client = client
        self.state = state
        self.tokens: dict[Role, str] = {}

    def as_(self, role: Role) -> dict[str, str]:
        if role not in self.tokens:
            r = self.client.post("/api/v1/auth/login", json={"username": role.value, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[role] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: Role = Role.ANALYST, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.as_(role))

    def send(self, method: str, path: str, role: Role = Role.NETWORK_ADMIN, **kwargs: Any) -> Any:
        return self.client.request(
            method, path, headers={**self.as_(role), **kwargs.pop("headers", {})}, **kwargs
        )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = load_settings(data_dir=tmp_path / "data")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with state.session() as session:
        for role in Role:
            create_user(session, username=role.value, password=PASSWORD, roles=[role])
    events = EmbeddedEventStore(tmp_path / "data", None, writer=False)
    app = create_app(AppContext(settings=settings, events=events, state=state))
    try:
        with TestClient(app) as client:
            yield Api(client, state)
    finally:
        state.close()


def register_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "资产台账"
    sheet.append(["IP地址", "主机名", "责任单位", "安全域", "等保级别", "重要程度"])
    sheet.append(["192.0.2.10", "web01.example.com", "区大数据局", "DMZ", 3, "核心"])
    sheet.append(["198.51.100.0/24", None, "区财政局", "专用网络区", "第二级", "低"])
    sheet.append(["192.0.2.300", "bad", None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_routes_are_in_openapi_and_need_a_token(api: Api) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/assets", "/api/v1/assets/{asset_id}", "/api/v1/assets/import", "/api/v1/zones"} <= set(
        paths
    )
    assert "/api/v1/zones/{zone_id}" in paths
    assert api.client.get("/api/v1/assets").status_code == 401
    assert api.client.post("/api/v1/zones", json={"id": "x", "name": "x"}).status_code == 401


def test_matrix_grants_as_agreed() -> None:
    assert MATRIX[Permission.ASSETS_READ] == READERS
    assert MATRIX[Permission.ASSETS_MANAGE] == MANAGERS
    assert MATRIX[Permission.ZONES_MANAGE] == MANAGERS


@pytest.mark.parametrize("role", list(Role))
def test_every_role_gets_what_the_matrix_says(api: Api, role: Role) -> None:
    reads = api.get("/api/v1/assets", role).status_code
    zones = api.get("/api/v1/zones", role).status_code
    assert (reads, zones) == ((200, 200) if role in READERS else (403, 403))
    created = api.send("POST", "/api/v1/assets", role, json={"address": "192.0.2.10"})
    assert created.status_code == (201 if role in MANAGERS else 403)
    zone = api.send("POST", "/api/v1/zones", role, json={"id": "office", "name": "办公区"})
    assert zone.status_code == (201 if role in MANAGERS else 403)
    if role not in MANAGERS:
        assert "your roles do not grant" in created.json()["detail"]
        uploaded = api.send(
            "POST", "/api/v1/assets/import", role, params={"filename": "a.csv"}, content=b"IP\n192.0.2.1\n"
        )
        assert uploaded.status_code == 403
        renamed = api.send("PATCH", "/api/v1/zones/dmz", role, json={"name": "隔离区"})
        assert renamed.status_code == 403


def test_crud_round_trip_with_audit(api: Api) -> None:
    body = {
        "address": "192.0.2.10",
        "hostname": "web01.example.com",
        "owner_unit": "区大数据局",
        "zone": "dmz",
        "device_type": "Web服务器",
        "level": 3,
        "criticality": "critical",
        "contact": "张三",
    }
    r = api.send("POST", "/api/v1/assets", json=body)
    assert r.status_code == 201, r.text
    asset = r.json()
    assert {k: asset[k] for k in body if k != "address"} == {k: v for k, v in body.items() if k != "address"}
    assert (asset["ip"], asset["cidr"], asset["origin"], asset["services"]) == ("192.0.2.10", None, "api", [])

    assert api.send("POST", "/api/v1/assets", json={"address": "192.0.2.10"}).status_code == 409
    bad_zone = api.send("POST", "/api/v1/assets", json={"address": "192.0.2.11", "zone": "office"})
    assert bad_zone.status_code == 422 and "unknown zone 'office'" in bad_zone.json()["detail"]
    assert api.send("POST", "/api/v1/assets", json={"address": "192.0.2.11", "level": 5}).status_code == 422
    assert api.send("POST", "/api/v1/assets", json={"address": "10.0.0.300"}).status_code == 422

    got = api.get(f"/api/v1/assets/{asset['id']}", Role.COMPLIANCE_OFFICER)
    assert got.status_code == 200 and got.json() == asset

    patched = api.send("PATCH", f"/api/v1/assets/{asset['id']}", json={"contact": None, "level": 2})
    assert patched.status_code == 200
    assert (patched.json()["contact"], patched.json()["level"], patched.json()["hostname"]) == (
        None,
        2,
        "web01.example.com",
    )
    assert api.send("PATCH", f"/api/v1/assets/{asset['id']}", json={"address": None}).status_code == 422
    assert api.send("PATCH", "/api/v1/assets/999", json={"level": 1}).status_code == 404

    deleted = api.send("DELETE", f"/api/v1/assets/{asset['id']}", Role.SYSTEM_ADMIN)
    assert deleted.status_code == 200 and deleted.json()["level"] == 2
    assert api.get(f"/api/v1/assets/{asset['id']}").status_code == 404
    assert api.send("DELETE", f"/api/v1/assets/{asset['id']}").status_code == 404

    with api.state.session(readonly=True) as session:
        entries = [e for e in list_audit(session, limit=1000) if e.action.startswith("asset.")]
    assert [(e.action, e.actor, e.roles, e.source_ip) for e in entries] == [
        ("asset.create", "network_admin", ["network_admin"], "testclient"),
        ("asset.update", "network_admin", ["network_admin"], "testclient"),
        ("asset.delete", "system_admin", ["system_admin"], "testclient"),
    ]
    assert entries[1].before_value["contact"] == "张三" and entries[1].after_value["contact"] is None


def test_list_filters_and_paging(api: Api) -> None:
    for last in range(1, 8):
        zone = "private" if last % 2 else "public"
        r = api.send(
            "POST", "/api/v1/assets", json={"address": f"198.51.100.{last}", "zone": zone, "level": 2}
        )
        assert r.status_code == 201
    page = api.get("/api/v1/assets", zone="private", limit=2, offset=2).json()
    assert (page["total"], page["offset"], page["limit"]) == (4, 2, 2)
    assert [a["ip"] for a in page["assets"]] == ["198.51.100.5", "198.51.100.7"]
    assert api.get("/api/v1/assets", q="100.3").json()["total"] == 1
    assert api.get("/api/v1/assets", level=3).json()["total"] == 0
    assert api.get("/api/v1/assets", criticality="critical").json()["total"] == 0
    assert api.get("/api/v1/assets", criticality="extreme").status_code == 422
    assert api.get("/api/v1/assets", limit=5000).status_code == 422


def test_import_raw_csv_with_filename(api: Api) -> None:
    data = "IP地址,安全域,重要程度\n192.0.2.10,DMZ,高\n198.51.100.0/24,办公区,低\n".encode("gb18030")
    r = api.send(
        "POST",
        "/api/v1/assets/import",
        params={"filename": "台账.csv"},
        content=data,
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "file": "台账.csv",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            "台账.csv row 3: unknown zone '办公区' (known: dmz, internet, management, private, public)"
        ],
    }


def test_import_multipart_xlsx_is_byte_exact(api: Api) -> None:
    files = {"file": ("资产台账.xlsx", register_xlsx(), XLSX_TYPE)}
    r = api.send("POST", "/api/v1/assets/import", Role.SYSTEM_ADMIN, files=files)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "file": "资产台账.xlsx",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": ["资产台账.xlsx row 4: '192.0.2.300' is not an IP address or network"],
    }
    again = api.send("POST", "/api/v1/assets/import", files=files).json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    web = api.get("/api/v1/assets", q="web01").json()["assets"][0]
    assert (web["zone"], web["level"], web["criticality"], web["origin"]) == ("dmz", 3, "critical", "import")


def test_import_raw_xlsx_without_filename_and_bad_uploads(api: Api) -> None:
    r = api.send(
        "POST", "/api/v1/assets/import", content=register_xlsx(), headers={"Content-Type": XLSX_TYPE}
    )
    assert r.status_code == 200 and (r.json()["file"], r.json()["created"]) == ("upload.xlsx", 2)
    empty = api.send("POST", "/api/v1/assets/import", content=b"", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 400
    form_only = api.send("POST", "/api/v1/assets/import", data={"note": "x"}, files={"other": ("", b"")})
    assert (form_only.status_code, form_only.json()["detail"]) == (400, "multipart body without a file part")
    # A form field called "file" without a file name still counts, named by the query.
    field = api.send(
        "POST",
        "/api/v1/assets/import",
        params={"filename": "f.csv"},
        data={"file": "IP\n192.0.2.1\n"},
        files={"x": ("", b"")},
    )
    assert field.status_code == 200 and (field.json()["file"], field.json()["created"]) == ("f.csv", 1)
    junk = api.send(
        "POST", "/api/v1/assets/import", params={"filename": "x.xlsx"}, content=b"PK\x03\x04junk"
    ).json()
    assert junk["created"] == 0 and junk["errors"][0].startswith("x.xlsx: not a readable XLSX workbook")


def test_zones_list_create_rename(api: Api) -> None:
    listed = api.get("/api/v1/zones", Role.SECURITY_ADMIN).json()
    assert listed["count"] == 5
    assert {z["id"]: z["name"] for z in listed["zones"]}["private"] == "专用网络区"

    created = api.send(
        "POST", "/api/v1/zones", json={"id": "office", "name": "办公区", "cidrs": ["198.51.100.128/25"]}
    )
    assert created.status_code == 201
    assert created.json() == {
        "id": "office",
        "name": "办公区",
        "description": None,
        "cidrs": ["198.51.100.128/25"],
    }
    assert api.send("POST", "/api/v1/zones", json={"id": "office", "name": "又一个"}).status_code == 409
    assert api.send("POST", "/api/v1/zones", json={"id": "Bad Id", "name": "x"}).status_code == 422
    assert (
        api.send("POST", "/api/v1/zones", json={"id": "lab", "name": "实验", "cidrs": ["x"]}).status_code
        == 422
    )

    renamed = api.send("PATCH", "/api/v1/zones/private", Role.SYSTEM_ADMIN, json={"name": "业务专网"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "业务专网"
    assert api.send("PATCH", "/api/v1/zones/public", json={"name": "业务专网"}).status_code == 409
    assert api.send("PATCH", "/api/v1/zones/nowhere", json={"name": "x"}).status_code == 404
    assert api.send("PATCH", "/api/v1/zones/dmz", json={"name": None}).status_code == 422
    cidrs = api.send("PATCH", "/api/v1/zones/office", json={"cidrs": [], "description": "办公网"})
    assert cidrs.json() == {"id": "office", "name": "办公区", "description": "办公网", "cidrs": []}
    asset = api.send("POST", "/api/v1/assets", json={"address": "198.51.100.130", "zone": "office"})
    assert asset.status_code == 201 and asset.json()["zone"] == "office"
