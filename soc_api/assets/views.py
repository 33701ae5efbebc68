"""Asset and zone routes: the register (资产台账) and the security zones (安全域).

Views translate HTTP to the service in ``soc_core.assets.service`` and back; they hold no
rules of their own beyond the role matrix and request decoding.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from soc_api.assets.models import (
    AssetCreate,
    AssetOut,
    AssetPageOut,
    AssetPatch,
    ImportReportOut,
    ZoneCreate,
    ZoneList,
    ZoneOut,
    ZonePatch,
)
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.params import RowId
from soc_core.assets import service
from soc_core.assets.models import AssetInput, Zone, ZoneInput
from soc_core.assets.service import AssetConflictError, AssetError, AssetNotFoundError
from soc_core.vocabulary import AssetOrigin, Criticality

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])
zones_router = APIRouter(prefix="/api/v1/zones", tags=["assets"])
_can_read = require(Permission.ASSETS_READ)
_can_manage = require(Permission.ASSETS_MANAGE)
_can_manage_zones = require(Permission.ZONES_MANAGE)

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_T = TypeVar("_T")
AssetId = RowId
ZoneId = Annotated[str, Path(min_length=1, max_length=32)]


async def _call(function: Callable[..., _T], **kwargs: Any) -> _T:
    """Run a service function off the event loop; its errors become HTTP statuses."""
    try:
        return await run_in_threadpool(function, **kwargs)
    except AssetNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except AssetConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except AssetError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


def _who(principal: Principal) -> dict[str, Any]:
    return {
        "actor": principal.username,
        "actor_roles": sorted(principal.roles),
        "source_ip": principal.source_ip,
    }


def _not_null(body: AssetPatch | ZonePatch, *names: str) -> None:
    for name in names:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} cannot be null")


# -- assets ------------------------------------------------------------------------------------


@router.get("", response_model=AssetPageOut)
async def list_assets(
    zone: Annotated[str | None, Query(description="zone id")] = None,
    level: Annotated[int | None, Query(ge=1, le=4, description="等保 level")] = None,
    criticality: Criticality | None = None,
    origin: AssetOrigin | None = None,
    q: Annotated[str | None, Query(max_length=255, description="substring of address, name, unit …")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> AssetPageOut:
    """Assets matching every filter given, by id, one page at a time."""
    page = await _call(
        service.list_assets,
        state=ctx.state,
        zone=zone,
        level=level,
        criticality=criticality,
        origin=origin,
        q=q,
        limit=limit,
        offset=offset,
    )
    return AssetPageOut(
        total=page.total, offset=page.offset, limit=page.limit, assets=[AssetOut.of(a) for a in page.assets]
    )


@router.get("/{asset_id}", response_model=AssetOut)
async def get_asset(
    asset_id: AssetId, ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> AssetOut:
    """One asset."""
    asset = await _call(service.get_asset, state=ctx.state, asset_id=asset_id)
    if asset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {asset_id}")
    return AssetOut.of(asset)


@router.post("", response_model=AssetOut, status_code=status.HTTP_201_CREATED)
async def create_asset(
    body: AssetCreate, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_manage)
) -> AssetOut:
    """Add an asset; the address must not be registered yet (409)."""
    data = AssetInput(**body.model_dump())
    asset = await _call(service.create_asset, state=ctx.state, data=data, **_who(principal))
    return AssetOut.of(asset)


@router.patch("/{asset_id}", response_model=AssetOut)
async def update_asset(
    asset_id: AssetId,
    body: AssetPatch,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> AssetOut:
    """Change the fields given; null clears a field (the address cannot be cleared)."""
    _not_null(body, "address")
    changes = AssetInput(**body.model_dump(include=body.model_fields_set))
    asset = await _call(
        service.update_asset, state=ctx.state, asset_id=asset_id, changes=changes, **_who(principal)
    )
    return AssetOut.of(asset)


@router.delete("/{asset_id}", response_model=AssetOut)
async def delete_asset(
    asset_id: AssetId, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_manage)
) -> AssetOut:
    """Remove an asset; the response is what was removed."""
    asset = await _call(service.delete_asset, state=ctx.state, asset_id=asset_id, **_who(principal))
    return AssetOut.of(asset)


@router.post(
    "/import",
    response_model=ImportReportOut,
    openapi_extra={
        "requestBody": {
            "description": "the register file: multipart/form-data with one file, or the raw CSV/XLSX bytes",
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                _XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_register(
    request: Request,
    filename: Annotated[
        str | None, Query(max_length=255, description="file name for a raw body (assets.csv, 台账.xlsx)")
    ] = None,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> ImportReportOut:
    """Upsert a CSV or XLSX register by address; refused rows are listed, the others imported."""
    body = await _read_body(request)
    content_type = request.headers.get("content-type", "")
    name = filename
    if content_type.lower().startswith("multipart/form-data"):
        upload = _multipart_file(body, content_type)
        if upload is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "multipart body without a file part")
        part_name, body = upload
        name = name or part_name
    if not body:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "empty upload")
    if not name:
        name = "upload.xlsx" if content_type.lower().startswith(_XLSX_TYPE) else "upload.csv"
    report = await _call(service.import_assets, state=ctx.state, data=body, filename=name, **_who(principal))
    return ImportReportOut.of(report)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"upload larger than {MAX_UPLOAD_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD_BYTES:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"upload larger than {MAX_UPLOAD_BYTES} bytes"
            )
    return bytes(body)


def _multipart_file(body: bytes, content_type: str) -> tuple[str | None, bytes] | None:
    """(file name, bytes) of the first file part of a multipart/form-data body.

    Parsed here because python-multipart is not a dependency; byte-exact for binary parts.
    """
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return None
    fallback: tuple[str | None, bytes] | None = None
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        content = content.removesuffix(b"\r\n")
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip()] = value.strip()
        filename = headers.get_filename()
        if filename:
            return filename, content
        if fallback is None and headers.get_param("name", header="content-disposition") == "file":
            fallback = (None, content)
    return fallback


# -- zones -------------------------------------------------------------------------------------


@zones_router.get("", response_model=ZoneList)
async def list_zones(ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)) -> ZoneList:
    """Every zone with its display name and mapped networks."""
    zones = await _call(service.list_zones, state=ctx.state)
    return ZoneList(count=len(zones), zones=[ZoneOut.of(z) for z in zones])


@zones_router.post("", response_model=ZoneOut, status_code=status.HTTP_201_CREATED)
async def create_zone(
    body: ZoneCreate,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage_zones),
) -> ZoneOut:
    """Add a site zone; id and name must be new (409)."""
    zone = Zone(id=body.id, name=body.name, description=body.description, cidrs=body.cidrs)
    created = await _call(service.create_zone, state=ctx.state, zone=zone, **_who(principal))
    return ZoneOut.of(created)


@zones_router.patch("/{zone_id}", response_model=ZoneOut)
async def update_zone(
    zone_id: ZoneId,
    body: ZonePatch,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage_zones),
) -> ZoneOut:
    """Rename a zone, or change its description or networks; the id never changes."""
    _not_null(body, "name", "cidrs")
    changes = ZoneInput(**body.model_dump(include=body.model_fields_set))
    zone = await _call(
        service.update_zone, state=ctx.state, zone_id=zone_id, changes=changes, **_who(principal)
    )
    return ZoneOut.of(zone)
