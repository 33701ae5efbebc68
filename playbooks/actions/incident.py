"""``create_incident``: open one incident for the run's alert, linked to it, on the timeline and audited."""

from __future__ import annotations

from sqlalchemy import select

from playbooks.context import StepContext, StepResult
from playbooks.models import CreateIncidentStep
from soc_core.audit import append_audit
from soc_core.state.models import IncidentAlert, IncidentRecord, IncidentTimelineEntry
from soc_core.vocabulary import IncidentStatus

DEFAULT_CATEGORY = "OI"  # GB/T 20986 其他信息安全事件, when the rule names none


def run(step: CreateIncidentStep, ctx: StepContext) -> StepResult:
    """Open the incident, or reuse the one already linked to the alert."""
    alert = ctx.alert
    if ctx.incident_id is not None:
        return StepResult(status="succeeded", outputs={"incident_id": ctx.incident_id, "created": False})
    alert_id = alert.get("id")
    if alert_id:
        linked = ctx.session.scalar(
            select(IncidentAlert.incident_id).where(IncidentAlert.alert_id == alert_id)
        )
        if linked is not None:
            ctx.run.context = {**ctx.run.context, "incident_id": linked}
            return StepResult(status="succeeded", outputs={"incident_id": linked, "created": False})
    title = f"{alert.get('rule_name', '安全告警')}（来源 {alert.get('source_ip') or '-'}）"
    row = IncidentRecord(
        title=title,
        category=step.category or alert.get("gb20986_category") or DEFAULT_CATEGORY,
        level=step.level.value,
        status=IncidentStatus.OPEN.value,
        owner=step.owner,
        description=f"由剧本 {ctx.playbook_id} 根据告警 {alert_id} 自动建立。",
        created_by=ctx.actor,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    if alert_id:
        ctx.session.add(IncidentAlert(incident_id=row.id, alert_id=alert_id))
    ctx.session.add(
        IncidentTimelineEntry(incident_id=row.id, at=ctx.now, author=ctx.actor, kind="created", text=title)
    )
    append_audit(
        ctx.session,
        actor=ctx.actor,
        action="incident.create",
        target=str(row.id),
        after={"title": title, "category": row.category, "level": row.level, "alert": alert_id},
        now=ctx.now,
    )
    ctx.run.context = {**ctx.run.context, "incident_id": row.id}
    return StepResult(status="succeeded", outputs={"incident_id": row.id, "created": True})
