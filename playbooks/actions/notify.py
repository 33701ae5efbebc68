"""``notify``: one message through each channel; a channel that delivered is not sent to again."""

from __future__ import annotations

from playbooks.channels.base import ChannelError, Message
from playbooks.context import StepContext, StepResult, alert_message
from playbooks.models import NotifyStep
from soc_core.audit import append_audit


def deliver(
    ctx: StepContext, *, channels: tuple[str, ...], message: Message, done: dict[str, object], action: str
) -> StepResult:
    """Send to every channel not in ``done``; retry later for retryable failures."""
    delivered = dict(done)
    errors: dict[str, str] = {}
    retry = False
    for channel_id in channels:
        if channel_id in delivered:
            continue
        channel = ctx.channels.get(channel_id)
        if channel is None:
            errors[channel_id] = "no such channel in [playbooks] channels"
            continue
        try:
            delivery = channel.send(message)
        except ChannelError as exc:
            errors[channel_id] = exc.message
            retry = retry or exc.retryable
            continue
        delivered[channel_id] = delivery.detail
        append_audit(
            ctx.session,
            actor=ctx.actor,
            action=f"{action}.{channel.kind}",
            target=channel_id,
            detail={"run": ctx.run.id, "title": message.title, "delivery": delivery.detail},
            now=ctx.now,
        )
    outputs = {"delivered": delivered, "errors": errors, "title": message.title}
    if not errors:
        return StepResult(status="succeeded", outputs=outputs)
    if retry:
        return StepResult(
            status="retry", outputs=outputs, error="; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    return StepResult(
        status="failed" if not delivered else "succeeded",
        outputs=outputs,
        error="; ".join(f"{k}: {v}" for k, v in errors.items()),
    )


def run(step: NotifyStep, ctx: StepContext) -> StepResult:
    """Notify with the run's alert or incident."""
    message = alert_message(ctx, title=step.title)
    if step.recipients:
        message = message.model_copy(update={"recipients": step.recipients})
    done = dict(ctx.outputs_of(ctx.step_name).get("delivered") or {})
    return deliver(ctx, channels=step.channels, message=message, done=done, action="notify")
