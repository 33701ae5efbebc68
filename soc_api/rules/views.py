"""Rule routes: the health of every detection rule."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.rules.models import RuleHealthOut, RulePage
from soc_core.state.alerts import list_rule_health
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
