"""The 响应编排 (response) page in a real browser (Playwright driving Chromium) on a real ``soc run``.

A site playbook blocks the source of the SQL injection alert through a dry-run nftables
responder once a security admin approves. The analyst sees the pending approval read-only; the
security admin approves it, follows the run to the block step (succeeded, approved by them), finds
the block listed as a dry run (演练) and lifts it (已解除). The playbook list shows the refused file
with its line. The audit admin's operation log names the security admin. With the engine off, the
page says so. Screenshots go to ``$SOC_TEST_ARTIFACTS/console`` (default ``test-artifacts/console``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import SQLI_SOURCE, launch, playwright, shot, sign_in, sqli_line

from soc_api.testing import PlatformProcess, add_user, send_tcp, wait_for

pytestmark = pytest.mark.slow

SOURCE = SQLI_SOURCE
SQLI_RULE = "e9b0b9d5-f088-5e19-a531-ac845390b489"  # rules/sigma/web/web_sql_injection.yml
REASON = "已核实为外部 SQL 注入扫描来源"

PLAYBOOK = f"""\
id: sqli-block
name: SQL 注入 → 审批后封禁来源
description: 门户 SQL 注入告警：由安全管理员审批后在边界封禁攻击来源，24 小时后自动解除。
trigger:
  on: alert
  rules: [{SQLI_RULE}]
  severity_at_least: medium
steps:
  - {{name: 资产信息, action: enrich}}
  - {{name: 封禁来源, action: block, responder: edge, address: source_ip, approval: true, ttl: 24h}}
"""
# Refused at line 6: an action the language does not have.
BROKEN = """\
id: broken-reboot
name: 无效剧本
trigger: {on: alert}
steps:
  - {name: 资产信息, action: enrich}
  - {name: 重启主机, action: reboot}
"""


def _settings(tmp_path: Path, body: str) -> dict[str, str]:
    config = tmp_path / "shaowang.toml"
    config.write_text(body, encoding="utf-8")
    return {"SOC_CONFIG": str(config)}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    library = tmp_path / "playbooks"
    library.mkdir()
    (library / "sqli-block.yml").write_text(PLAYBOOK, encoding="utf-8")
    (library / "broken.yml").write_text(BROKEN, encoding="utf-8")
    env = _settings(
        tmp_path,
        f'[playbooks]\nshipped = false\ndirs = ["{library}"]\n\n'
        '[[playbooks.responders]]\nid = "edge"\nkind = "nftables"\ndry_run = true\n',
    )
    data_dir = tmp_path / "data"
    add_user(data_dir, "sec", "security_admin")
    add_user(data_dir, "ana", "analyst")
    add_user(data_dir, "auditor", "audit_admin")
    with PlatformProcess(data_dir, env=env) as soc:
        send_tcp(soc.syslog_port, [sqli_line(dt.datetime.now(dt.UTC))])
        soc.login("sec")
        wait_for(
            lambda: any(a["status"] == "pending" for a in soc.get("/api/v1/approvals")["items"]),
            timeout=60,
            interval=0.3,
        )
        yield soc


def _context(browser: Any, errors: list[str]) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def test_security_admin_approves_the_block_and_lifts_it(platform: PlatformProcess, tmp_path: Path) -> None:
    base = platform.api
    (approval,) = platform.get("/api/v1/approvals")["items"]
    assert approval["summary"].startswith(f"封禁 {SOURCE}")
    (alert,) = platform.get("/api/v1/alerts")["items"]
    run_id = approval["run_id"]
    assert platform.get(f"/api/v1/playbooks/runs/{run_id}")["alert_id"] == alert["id"]
    pending_row = f'#approvals-table tr[data-approval-id="{approval["id"]}"]'
    errors: list[str] = []
    with playwright() as pw:
        browser = launch(pw)
        try:
            # The analyst reads the page, approvals first, but has nothing to press.
            analyst, page = _context(browser, errors)
            sign_in(page, base, "ana")
            page.click('a[data-nav="response"]')
            row = page.wait_for_selector(f'{pending_row}[data-status="pending"]')
            assert "待审批" in row.inner_text() and SOURCE in row.inner_text()
            assert page.locator("#approvals-table button").count() == 0
            assert page.locator("#approvals-read-only").is_visible()
            analyst.close()

            security, page = _context(browser, errors)
            sign_in(page, base, "sec")
            page.click('a[data-nav="response"]')
            page.wait_for_selector(f'{pending_row}[data-status="pending"]')
            assert page.locator('[data-tab="approvals"] .tab-count').inner_text() == "1"
            page.click(f"#approval-approve-{approval['id']}")
            page.fill("#approval-reason", REASON)
            page.click("#approval-confirm")
            row = page.wait_for_selector(f'{pending_row}[data-status="approved"]')
            assert row.query_selector(".approval-decided-by").inner_text().startswith("sec")
            assert REASON in row.inner_text() and "已批准" in row.inner_text()
            assert page.locator(f"#approval-approve-{approval['id']}").count() == 0

            # The engine carries on by itself; then the run shows who let the block through.
            wait_for(
                lambda: platform.get(f"/api/v1/playbooks/runs/{run_id}")["status"] == "succeeded",
                timeout=60,
                interval=0.3,
            )
            page.click('[data-tab="runs"]')
            run_row = page.wait_for_selector(
                f'#runs-table tr[data-run-id="{run_id}"][data-status="succeeded"]'
            )
            assert "已完成" in run_row.inner_text() and "SQL 注入" in run_row.inner_text()
            assert run_row.query_selector("a.run-alert").get_attribute("href") == f"#/alerts/{alert['id']}"
            run_row.click()
            page.wait_for_selector("#run-steps")
            assert f"#/response/runs/{run_id}" in page.url
            assert page.get_attribute("#run-facts a.run-alert", "href") == f"#/alerts/{alert['id']}"
            steps = page.locator("#run-steps tbody tr")
            assert steps.evaluate_all("rows => rows.map(r => [r.dataset.action, r.dataset.status])") == [
                ["enrich", "succeeded"],
                ["block", "succeeded"],
            ]
            block_step = page.locator('#run-steps tr[data-action="block"]')
            assert block_step.locator(".step-approved-by").inner_text() == "sec"
            assert block_step.locator("td").nth(4).inner_text() == "成功"
            assert block_step.get_attribute("data-attempt") == "1"
            outputs = block_step.locator(".step-outputs")
            assert outputs.locator('dd[data-key="blocked"]').inner_text() == "是"
            assert outputs.locator('dd[data-key="dry_run"]').inner_text() == "是"
            page.wait_for_selector("#toast:not(.show)", state="attached")
            shot(page, "response")

            # The block: a dry run for the source, approved by the security admin; lifted by hand.
            page.click("a.back")
            page.click('[data-tab="blocks"]')
            block_row = page.wait_for_selector(
                f'#blocks-table tr[data-address="{SOURCE}"][data-status="dry_run"]'
            )
            assert "演练" in block_row.inner_text()
            assert block_row.query_selector(".block-approved-by").inner_text() == "sec"
            block_id = block_row.get_attribute("data-block-id")
            page.click(f"#block-lift-{block_id}")
            page.click("#block-lift-confirm")
            block_row = page.wait_for_selector(
                f'#blocks-table tr[data-block-id="{block_id}"][data-status="removed"]'
            )
            assert "已解除" in block_row.inner_text() and "演练" in block_row.inner_text()
            assert page.locator(f"#block-lift-{block_id}").count() == 0
            shot(page, "response-blocks")

            # The playbooks: the one loaded, and the refused file with its line.
            assert page.locator('[data-tab="playbooks"] .tab-count-danger').inner_text() == "✕ 1"
            page.click('[data-tab="playbooks"]')
            loaded = page.wait_for_selector('#playbooks-table tr[data-playbook-id="sqli-block"]')
            assert "级别 ≥ 中危" in loaded.inner_text() and "需审批" in loaded.inner_text()
            problems = page.locator("#playbook-problems tbody tr")
            assert problems.count() == 1
            broken = tmp_path / "playbooks" / "broken.yml"
            assert problems.locator(".problem-where").inner_text() == f"{broken}:6"
            security.close()
        finally:
            browser.close()
    assert errors == []

    (block,) = platform.get("/api/v1/blocks")["items"]
    assert (block["address"], block["dry_run"], block["status"], block["approved_by"]) == (
        SOURCE,
        True,
        "removed",
        "sec",
    )
    (decided,) = platform.get("/api/v1/approvals")["items"]
    assert (decided["status"], decided["decided_by"], decided["reason"]) == ("approved", "sec", REASON)
    platform.login("auditor")
    approvals = platform.get("/api/v1/audit", action="playbook.approve")["items"]
    assert [e["actor"] for e in approvals] == ["sec"]
    lifts = platform.get("/api/v1/audit", action="response.unblock")["items"]
    assert [e["actor"] for e in lifts] == ["sec"]


def test_the_page_says_when_the_engine_is_off(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    add_user(data_dir, "sec", "security_admin")
    env = _settings(tmp_path, "[playbooks]\nenabled = false\n")
    errors: list[str] = []
    with PlatformProcess(data_dir, env=env) as soc, playwright() as pw:
        browser = launch(pw)
        try:
            _, page = _context(browser, errors)
            sign_in(page, soc.api, "sec")
            page.click('a[data-nav="response"]')
            notice = page.wait_for_selector("#response-engine-off")
            assert "剧本引擎未在本节点运行" in notice.inner_text()
            page.wait_for_selector("#approvals-table, .empty")
            page.click('[data-tab="playbooks"]')
            page.wait_for_selector("#playbook-problems-none")
            assert page.locator("#response-engine-off").is_visible()
        finally:
            browser.close()
    assert errors == []
