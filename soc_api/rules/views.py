"""Rule routes: the health of every detection rule."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.rules.models import HuntOut, HuntPage, RuleHealthOut, RulePage
from soc_core.state.alerts import HUNTS_STATE, list_rule_health, load_detection_state
from soc_core.vocabulary import RuleState

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
_can_read_rules = require(Permission.RULES_READ)


@router.get("", response_model=RulePage)
async def rule_health(
    state: Annotated[RuleState | None, Query(description="loaded, failed or unrouted")] = None,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_rules),
) -> RulePage:
    """Loaded / failed with reason / no live source, matches, last fired, mean cost per evaluation."""

    def read() -> list[RuleHealthOut]:
        with ctx.state.session(readonly=True) as session:
            return [
                RuleHealthOut(
                    rule_id=row.rule_id,
                    title=row.title,
                    path=row.path,
                    state=row.state,
                    reason=row.reason,
                    matches=row.matches,
                    last_fired=row.last_fired,
                    evaluations=row.evaluations,
                    mean_cost_ns=row.cost_ns_per_event,
                    updated_at=row.updated_at,
                )
                for row in list_rule_health(session, state=state)
            ]

    rows = await run_in_threadpool(read)
    return RulePage(count=len(rows), states=dict(Counter(r.state for r in rows)), rules=rows)


@router.get("/hunts", response_model=HuntPage)
async def hunts(
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_rules),
) -> HuntPage:
    """Scheduled hunts: interval, rules, what has been covered, what the last run found."""

    def read() -> dict[str, Any]:
        with ctx.state.session(readonly=True) as session:
            saved = load_detection_state(session, name=HUNTS_STATE)
        if saved is None:
            return {}
        try:
            decoded = msgspec.json.decode(saved)
        except msgspec.DecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}

    statuses = await run_in_threadpool(read)
    out = []
    for schedule in ctx.settings.detection.hunts:
        status = statuses.get(schedule.name) or {}
        out.append(
            HuntOut(
                name=schedule.name,
                rules=[str(p) for p in schedule.rules],
                every_s=schedule.every_s,
                delay_s=schedule.delay_s,
                watermark=status.get("watermark"),
                last_run=status.get("last_run"),
                scanned=status.get("scanned", 0),
                windows=status.get("windows", 0),
                matches=status.get("matches", 0),
                alerts=status.get("alerts", 0),
                error=status.get("error"),
            )
        )
    return HuntPage(count=len(out), hunts=out)
