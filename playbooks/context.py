"""What a step handler is given and what it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from playbooks.channels.base import Channel, Message
from playbooks.responders.base import Responder
from soc_core.config import Settings
from soc_core.state.response import PlaybookRun
from soc_core.vocabulary import INCIDENT_LEVEL_LABELS_ZH, IncidentLevel, Severity

if TYPE_CHECKING:
    from playbooks.timers import Timers

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGINE_ACTOR = "playbook"


@dataclass
class StepResult:
    """A step's outcome.

    ``waiting`` stops the run until ``wake_at`` (or an approval decision); ``retry`` asks for the
    step again after backoff; ``cancel`` ends the run after this step (a rejected approval).
    """

    status: Literal["succeeded", "waiting", "skipped", "failed", "retry"]
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    wake_at: dt.datetime | None = None
    approved_by: str | None = None
    cancel: bool = False


@dataclass
class StepContext:
    """Everything a handler may use; the session is the step's own transaction."""

    session: Session
    run: PlaybookRun
    playbook_id: str
    step_index: int
    step_name: str
    attempt: int
    now: dt.datetime
    settings: Settings
    channels: Mapping[str, Channel]
    responders: Mapping[str, Responder]
    timers: Timers | None

    @property
    def actor(self) -> str:
        """Who the operation log names for the engine's own actions."""
        return f"{ENGINE_ACTOR}:{self.playbook_id}"

    @property
    def alert(self) -> dict[str, Any]:
        """The alert that started the run (empty for an incident trigger)."""
        alert: dict[str, Any] = self.run.context.get("alert") or {}
        return alert

    @property
    def incident_id(self) -> int | None:
        """The run's incident: the trigger's, or the one a create_incident step opened."""
        value = self.run.context.get("incident_id")
        return int(value) if value is not None else None

    def outputs_of(self, name: str) -> dict[str, Any]:
        """An earlier step's outputs."""
        steps: dict[str, dict[str, Any]] = self.run.context.get("steps") or {}
        return steps.get(name, {})


def local_time(value: str | dt.datetime | None) -> str:
    """A time as Beijing time for messages."""
    if value is None:
        return "-"
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def severity_zh(value: Any) -> str:
    """高危, 严重 … for a severity number."""
    try:
        return Severity(int(value)).label_zh
    except (TypeError, ValueError):
        return "未知"


def alert_message(ctx: StepContext, *, title: str | None = None, escalation: bool = False) -> Message:
    """The Chinese notification of the run's alert or incident, with a link to the console."""
    base = ctx.settings.playbooks.console_url.rstrip("/")
    alert = ctx.alert
    context = ctx.run.context
    steps: dict[str, dict[str, Any]] = context.get("steps") or {}
    enrich: dict[str, Any] = next((v for v in steps.values() if "asset" in v), {})
    lines: list[str] = []
    if alert:
        lines += [
            f"告警：{alert.get('rule_name', '-')}",
            f"级别：{severity_zh(alert.get('severity'))}",
            f"时间：{local_time(alert.get('timestamp'))}",
            f"攻击来源：{alert.get('source_ip') or '-'}",
            f"攻击目标：{alert.get('target') or alert.get('destination_ip') or '-'}",
            f"攻击类型：{alert.get('attack_type') or '-'}",
        ]
        link = f"{base}/#/alerts/{alert.get('id')}"
        default_title = f"【{severity_zh(alert.get('severity'))}】{alert.get('rule_name', '安全告警')}"
    else:
        incident = context.get("incident") or {}
        level = incident.get("level")
        label = INCIDENT_LEVEL_LABELS_ZH.get(IncidentLevel(level), level) if level else "-"
        lines += [
            f"事件：{incident.get('title', '-')}",
            f"级别：{label}",
            f"分类：{incident.get('category', '-')}",
        ]
        link = f"{base}/#/incidents/{ctx.incident_id}"
        default_title = f"【安全事件】{incident.get('title', '')}"
    for side in ("destination", "source"):
        asset = (enrich.get("asset") or {}).get(side) if enrich else None
        if asset and asset.get("owner_unit"):
            lines.append(f"责任单位：{asset['owner_unit']}（{asset.get('hostname') or asset.get('ip')}）")
            break
    if ctx.incident_id is not None and alert:
        lines.append(f"已建立安全事件 #{ctx.incident_id}")
    if escalation:
        lines.insert(0, "该告警超过处置时限仍未确认，现升级通知。")
    text = "\n".join(lines)
    subject = (title or default_title).format(
        rule=alert.get("rule_name", ""),
        severity=severity_zh(alert.get("severity")),
        source_ip=alert.get("source_ip") or "",
    )
    if escalation:
        subject = f"【升级】{subject}"
    return Message(title=subject, text=text, link=link, severity=alert.get("severity"))
