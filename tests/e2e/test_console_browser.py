"""The console in a real browser (Playwright driving Debian's Chromium, headless) on a real ``soc run``.

An analyst signs in, finds the alert an ingested line raised, assigns and closes it with a
comment; the audit admin sees those actions in the operation log; the analyst is refused the
operation log. The compliance officer reads the 等保 gap view and downloads the evidence pack.
Screenshots of the queue, alert, search, dashboard, map and compliance pages are written to
``$SOC_TEST_ARTIFACTS/console`` (default ``test-artifacts/console``).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import launch, playwright, shot, sign_in, sqli_line

from soc_api.testing import PlatformProcess, add_user, firewall_line, send_tcp, wait_for

pytestmark = pytest.mark.slow

COMMENT = "确认为外部 SQL 注入扫描，已在 WAF 封禁来源地址"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    data_dir = tmp_path / "data"
    add_user(data_dir, "ana", "analyst")
    add_user(data_dir, "auditor", "audit_admin")
    add_user(data_dir, "officer", "compliance_officer")
    with PlatformProcess(data_dir) as soc:
        now = dt.datetime.now(dt.UTC)
        send_tcp(soc.syslog_port, [sqli_line(now), *(firewall_line(i, now) for i in range(300))])
        soc.login("ana")
        wait_for(lambda: soc.get("/api/v1/alerts")["total"] >= 1, timeout=60, interval=0.3)
        wait_for(lambda: soc.get("/api/v1/events", q="*", limit=1)["count"] == 1, timeout=60, interval=0.3)
        yield soc


def test_analyst_closes_an_alert_and_the_audit_admin_sees_it(platform: PlatformProcess) -> None:
    base = platform.api
    alert = platform.get("/api/v1/alerts")["items"][0]
    assert alert["source_ip"] == "203.0.113.45"
    errors: list[str] = []
    with playwright() as pw:
        browser = launch(pw)
        try:
            analyst = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = analyst.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base, "ana")

            # The queue shows the alert the line raised.
            page.goto(base + "/#/alerts")
            row = page.wait_for_selector(f'tr[data-alert-id="{alert["id"]}"]')
            assert "203.0.113.45" in row.inner_text()
            shot(page, "alerts-queue")

            # Assign, close with a disposition and a comment.
            row.click()
            page.wait_for_selector("#alert-save")
            page.select_option("#alert-assignee", "ana")
            page.select_option("#alert-status", "closed")
            page.select_option("#alert-disposition", "true_positive")
            page.fill("#alert-comment", COMMENT)
            page.click("#alert-save")
            page.wait_for_selector(f'#alert-comments li.comment:has-text("{COMMENT}")')
            shot(page, "alert-detail")
            saved = platform.get(f"/api/v1/alerts/{alert['id']}")
            assert (saved["status"], saved["assignee"], saved["disposition"]) == (
                "closed",
                "ana",
                "true_positive",
            )
            assert [c["text"] for c in saved["comments"]] == [COMMENT]

            # Search, dashboard and map pages render with the ingested data.
            page.goto(base + "/#/search")
            page.fill("#search-query", "source.ip:192.0.2.5")
            page.click("#search-submit")
            page.wait_for_selector("#search-results tbody tr")
            page.wait_for_selector("#field-sidebar :text('source.ip')")
            shot(page, "search")
            page.goto(base + "/#/dashboard")
            page.wait_for_selector("#dashboard svg")
            shot(page, "dashboard")
            page.goto(base + "/#/map")
            page.wait_for_selector("#map-svg circle[data-ip]")
            shot(page, "map")

            # The operation log is not the analyst's: no menu entry, and the API refuses it.
            assert page.locator('a[data-nav="audit"]').count() == 0
            page.goto(base + "/#/audit")
            banner = page.wait_for_selector("#error-banner:has-text('audit:read')")
            assert banner.is_visible()
            analyst.close()

            auditor = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = auditor.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base, "auditor")
            page.goto(base + "/#/audit")
            entry = page.wait_for_selector('#audit-table tr[data-action="alert.update"]')
            text = entry.inner_text()
            assert "ana" in text and alert["id"] in text
            assert page.locator('#audit-table tr[data-action="user.login"]').count() >= 2
            shot(page, "operation-log")
            auditor.close()
        finally:
            browser.close()
    assert errors == []
    refused = httpx.get(base + "/api/v1/audit", headers={"Authorization": f"Bearer {platform.login('ana')}"})
    assert refused.status_code == 403


def test_compliance_officer_reads_the_gap_view_and_downloads_the_evidence_pack(
    platform: PlatformProcess, tmp_path: Path
) -> None:
    base = platform.api
    platform.login("officer")
    errors: list[str] = []
    with playwright() as pw:
        browser = launch(pw)
        try:
            officer = browser.new_context(
                viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True
            )
            page = officer.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base, "officer")
            page.click('a[data-nav="compliance"]')
            page.wait_for_selector("#compliance-items details.gap-item")
            status = platform.get("/api/v1/compliance/status")
            first = status["items"][0]
            assert (first["high_risk"], first["status"]) == (True, "non_compliant")

            # One row per catalogue item, in the API's order: high-risk failures first.
            rows = page.locator("#compliance-items details.gap-item")
            assert rows.count() == len(status["items"])
            keys = [f"{item['clause']} {item['item']})" for item in status["items"]]
            assert rows.evaluate_all("rows => rows.map(r => r.dataset.key)") == keys
            top = rows.first
            assert top.get_attribute("data-key") == keys[0]
            assert top.locator(".compliance-pill").inner_text() == "不符合"
            badge = top.locator(".chip-risk")
            assert badge.inner_text() == "高风险"
            assert badge.get_attribute("title") == f"高风险判定情形：{first['high_risk_note']}"
            failing = page.locator('#compliance-items .compliance-pill:text-is("不符合")')
            assert failing.count() == status["totals"]["non_compliant"]
            high_risk = page.locator("#compliance-high-risk .stat-value").inner_text()
            assert high_risk == str(status["high_risk_failing"])
            # The period is in the address, so the view can be linked.
            assert "from=" in page.url and "to=" in page.url

            # The detail shows the requirement, the numbers and the links to the data.
            top.locator("summary").click()
            detail = top.locator(".gap-detail")
            assert first["text"] in detail.inner_text()
            evidence_keys = detail.locator(".ev-dl dt").all_inner_texts()
            assert evidence_keys == list(first["evidence"])
            shot(page, "compliance")

            with page.expect_download() as download_info:
                page.click("#compliance-export")
            download = download_info.value
            page.wait_for_selector(f"#toast.show:has-text('{download.suggested_filename}')")
            assert page.locator("#compliance-export").is_enabled()
            # The name is the server's (Content-Disposition): <time>-<user>.zip.
            assert download.suggested_filename.endswith("-officer.zip")
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            with zipfile.ZipFile(saved) as pack:
                names = pack.namelist()
            assert any(name.endswith("/MANIFEST") for name in names)
            officer.close()

            # The analyst has no compliance entry in the menu.
            analyst = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page = analyst.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base, "ana")
            assert page.locator('a[data-nav="alerts"]').count() == 1
            assert page.locator('a[data-nav="compliance"]').count() == 0
            analyst.close()
        finally:
            browser.close()
    assert errors == []
    exports = platform.get("/api/v1/audit", action="compliance.export")["items"]
    assert [e["actor"] for e in exports] == ["officer"]
