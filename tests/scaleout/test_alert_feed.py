"""The console's feed of alerts recorded by workers: each once, in order, late commits too."""

from __future__ import annotations

import datetime as dt

from state_fixtures import state_url  # noqa: F401  (SQLite and PostgreSQL)

from soc_api.runtime.scaleout.alert_feed import AlertFeed
from soc_core.alerts import Alert
from soc_core.state.alerts import save_alerts
from soc_core.state.db import open_state
from soc_core.vocabulary import Severity

T0 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


def _alert(n: int) -> Alert:
    return Alert(rule_id="r1", rule_name="r", severity=Severity.HIGH, timestamp=T0, id=f"{n:032x}")


def test_each_alert_once_in_the_order_recorded(state_url: str) -> None:  # noqa: F811
    state = open_state(state_url)
    try:
        feed = AlertFeed(state, now=T0)
        assert feed.poll() == []
        with state.session() as session:
            save_alerts(session, alerts=[_alert(1), _alert(2)], now=T0 + dt.timedelta(seconds=1))
        with state.session() as session:
            save_alerts(session, alerts=[_alert(3)], now=T0 + dt.timedelta(seconds=2))
        assert [a.id for a in feed.poll()] == [f"{n:032x}" for n in (1, 2, 3)]
        assert feed.poll() == []
        # a worker's transaction stamped before the last poll but committed after it
        with state.session() as session:
            save_alerts(session, alerts=[_alert(4)], now=T0 + dt.timedelta(milliseconds=1500))
        # an update of an alert already handed over is not a new alert
        with state.session() as session:
            save_alerts(session, alerts=[_alert(1)], now=T0 + dt.timedelta(seconds=3))
        assert [a.id for a in feed.poll()] == [f"{4:032x}"]
        # limits: the rest comes on the next poll
        with state.session() as session:
            save_alerts(session, alerts=[_alert(n) for n in range(10, 20)], now=T0 + dt.timedelta(seconds=4))
        first, second = feed.poll(limit=6), feed.poll(limit=6)
        assert len(first) == 6 and len(second) == 4
        assert {a.id for a in first + second} == {f"{n:032x}" for n in range(10, 20)}
        # an old alert (before the catch-up window) is never handed over by a new feed
        late_feed = AlertFeed(state, now=T0 + dt.timedelta(hours=1), catch_up=dt.timedelta(minutes=10))
        assert late_feed.poll() == []
    finally:
        state.close()
