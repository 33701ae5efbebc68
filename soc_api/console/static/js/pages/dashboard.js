// Situation dashboard (态势总览): ingest rates, event and alert trends, top attack sources and
// targets, log-source health, dead letters and rule health. Refreshes every 30 seconds.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, fmtBytes, fmtDuration, emptyState, loading, inlineError, select, showError, display, panel, latestOnly } from '../dom.js';
import { lineChart, stackedBars, hbarList, legend, SEVERITY_COLORS, PALETTE } from '../charts.js';

const REFRESH_MS = 30_000;
const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const SEVERITIES = ['1', '2', '3', '4', '5'];

function card(label, value, note, cls) {
  return h('div', { class: ['stat-card', cls] }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), note ? h('div', { class: 'stat-note' }, note) : null);
}

function assetLabel(asset) {
  if (!asset) return '';
  if (typeof asset === 'string') return asset;
  return [asset.name || asset.hostname, asset.owner_unit].filter(Boolean).join(' · ');
}

/** Events per second: two decimals below 1/s (0.49/s), so a quiet site never reads 0/s. */
export function rate(value) {
  const v = Number(value) || 0;
  if (v > 0 && v < 0.005) return '<0.01/s';
  if (v < 1) return `${v.toFixed(2)}/s`;
  return `${fmtNum(v, v < 10 ? 2 : 1)}/s`;
}

/** The source-health table, shared with the Sources page. */
export function sourcesTable(sources, id = 'sources-table') {
  if (!sources || !sources.length) return emptyState(t('sources.empty'), t('sources.emptyHint'));
  const sorted = [...sources].sort((a, b) => Number(Boolean(b.silent)) - Number(Boolean(a.silent)) || String(a.peer).localeCompare(String(b.peer)));
  return h(
    'table',
    { class: 'table', id },
    h('thead', {}, h('tr', {}, ['sources.peer', 'sources.transport', 'sources.records', 'sources.bytes', 'sources.errors', 'sources.lastSeen', 'sources.state', 'sources.expected'].map((k) => h('th', {}, t(k))))),
    h(
      'tbody',
      {},
      sorted.map((src) =>
        h(
          'tr',
          { class: src.silent ? 'row-danger' : '', 'data-peer': src.peer },
          h('td', { class: 'mono' }, display(src.peer)),
          h('td', {}, display(src.transport)),
          h('td', { class: 'num' }, fmtNum(src.records)),
          h('td', { class: 'num' }, fmtBytes(src.bytes)),
          h('td', { class: ['num', src.errors ? 'text-danger' : ''] }, fmtNum(src.errors)),
          h('td', { class: 'nowrap' }, fmtTime(src.last_seen)),
          h('td', {}, src.silent ? h('span', { class: 'chip chip-danger' }, t('sources.silentFor', { d: fmtDuration(src.silent_for_s) })) : h('span', { class: 'chip chip-ok' }, t('sources.ok'))),
          h('td', {}, src.expected_interval_s ? fmtDuration(src.expected_interval_s) : '—'),
        ),
      ),
    ),
  );
}

function topTable(rows, id, linkAlerts) {
  if (!rows || !rows.length) return emptyState(t('dash.noAttacks'));
  const max = Math.max(1, ...rows.map((r) => Number(r.alerts) || 0));
  return h(
    'table',
    { class: 'table compact', id },
    h('thead', {}, h('tr', {}, h('th', {}, t('dash.ip')), h('th', {}, t('dash.asset')), h('th', { class: 'num' }, t('dash.alerts')))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          h('td', { class: 'mono' }, linkAlerts ? h('a', { href: `#/alerts?source_ip=${encodeURIComponent(r.ip)}` }, display(r.ip)) : display(r.ip)),
          h('td', { class: 'muted' }, assetLabel(r.asset) || '—'),
          h('td', { class: 'num bar-cell' }, h('span', { class: 'cell-bar', style: { width: `${Math.round((100 * (Number(r.alerts) || 0)) / max)}%` } }), h('span', { class: 'cell-val' }, fmtNum(r.alerts))),
        ),
      ),
    ),
  );
}

function ruleHealth(rules) {
  if (!rules) return emptyState(t('dash.noRules'));
  const failing = rules.failing || [];
  const top = rules.top || [];
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'mini-stats' },
      h('div', { class: 'mini ok' }, h('b', {}, fmtNum(rules.loaded)), t('rules.state.loaded')),
      h('div', { class: ['mini', rules.failed ? 'bad' : ''] }, h('b', {}, fmtNum(rules.failed)), t('rules.state.failed')),
      h('div', { class: ['mini', rules.unrouted ? 'warn' : ''] }, h('b', {}, fmtNum(rules.unrouted)), t('rules.state.unrouted')),
    ),
    failing.length
      ? h(
          'div',
          {},
          h('h4', {}, t('dash.failingRules')),
          h('ul', { class: 'failing-list', id: 'failing-rules' }, failing.map((r) => h('li', {}, h('span', { class: 'mono' }, display(r.rule_id)), h('span', { class: 'text-danger' }, display(r.reason))))),
        )
      : null,
    h('h4', {}, t('dash.topRules')),
    top.length
      ? h(
          'table',
          { class: 'table compact', id: 'top-rules' },
          h('thead', {}, h('tr', {}, ['rules.title', 'rules.matches', 'rules.lastFired', 'rules.cost'].map((k) => h('th', {}, t(k))))),
          h(
            'tbody',
            {},
            top.map((r) =>
              h(
                'tr',
                {},
                h('td', { title: r.rule_id }, display(r.title || r.rule_id)),
                h('td', { class: 'num' }, fmtNum(r.matches)),
                h('td', { class: 'nowrap' }, fmtTime(r.last_fired)),
                h('td', { class: 'num' }, r.cost_ns_per_event === null || r.cost_ns_per_event === undefined ? '—' : `${fmtNum(r.cost_ns_per_event / 1000, 1)} µs`),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('dash.noMatches')),
  );
}

/** 通报 records not reported in time and notices past their period, in red, linking to each. */
function responseCard(resp, ctx) {
  if (!resp || (resp.reports_overdue === null && resp.notices_overdue === null)) return null;
  const overdue = (resp.reports_overdue || 0) + (resp.notices_overdue || 0);
  const stats = [];
  if (resp.reports_overdue !== null) {
    stats.push(
      h('div', { class: ['mini', resp.reports_overdue ? 'bad' : 'ok'], id: 'dash-reports-overdue' }, h('b', {}, fmtNum(resp.reports_overdue)), t('dash.reportsOverdue')),
      h('div', { class: 'mini' }, h('b', {}, fmtNum(resp.reports_open)), t('dash.reportsOpen')),
    );
  }
  if (resp.notices_overdue !== null) {
    stats.push(
      h('div', { class: ['mini', resp.notices_overdue ? 'bad' : 'ok'], id: 'dash-notices-overdue' }, h('b', {}, fmtNum(resp.notices_overdue)), t('dash.noticesOverdue')),
      h('div', { class: 'mini' }, h('b', {}, fmtNum(resp.notices_open)), t('dash.noticesOpen')),
    );
  }
  const items = [
    ...(resp.overdue_reports || []).map((r) =>
      h(
        'li',
        {},
        ctx.can('reports:read') ? h('a', { class: 'text-danger strong', href: `#/reports/${encodeURIComponent(r.id)}` }, `${t('dash.reportItem', { id: r.id })} ${display(r.title)}`) : h('span', { class: 'text-danger' }, display(r.title)),
        h('span', { class: 'text-danger small' }, t('dash.dueWas', { time: fmtTime(r.deadline_at) })),
      ),
    ),
    ...(resp.overdue_notices || []).map((n) =>
      h(
        'li',
        {},
        ctx.can('notices:read') ? h('a', { class: 'text-danger strong', href: `#/notices/${encodeURIComponent(n.id)}` }, `${t('dash.noticeItem', { id: n.id })} ${display(n.title)}`) : h('span', { class: 'text-danger' }, display(n.title)),
        h('span', { class: 'muted small' }, display(n.owner_unit)),
        h('span', { class: 'text-danger small' }, t('dash.dueWas', { time: fmtTime(n.due_at) })),
      ),
    ),
  ];
  return panel(
    t('dash.response'),
    h('div', {}, h('div', { class: 'mini-stats' }, stats), items.length ? h('ul', { class: 'failing-list overdue-list', id: 'dash-overdue' }, items) : h('p', { class: 'muted' }, t('dash.nothingOverdue'))),
    overdue ? h('span', { class: 'chip chip-danger' }, t('dash.overdueCount', { n: overdue })) : null,
  );
}

export async function render(root, ctx) {
  const rangeSel = select({ id: 'dash-range' }, Object.keys(RANGES).map((k) => [k, t(`range.${k}`)]), RANGES[ctx.query.range] ? ctx.query.range : '24h');
  const auto = h('input', { type: 'checkbox', id: 'dash-auto', checked: true });
  const updated = h('span', { class: 'muted small', id: 'dash-updated' });
  const board = h('div', { id: 'dashboard', class: 'dashboard' }, loading());
  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'tb-field' }, h('span', {}, t('dash.range')), rangeSel),
      h('label', { class: 'switch' }, auto, h('span', {}, t('dash.autoRefresh'))),
      h('button', { class: 'btn', id: 'dash-refresh', onClick: () => load() }, t('common.refresh')),
      h('span', { class: 'grow' }),
      updated,
    ),
    board,
  );
  rangeSel.addEventListener('change', () => {
    ctx.setQuery({ range: rangeSel.value === '24h' ? '' : rangeSel.value });
    load();
  });

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    const end = new Date();
    try {
      const d = await api.get('/api/v1/dashboard', { from: new Date(end - RANGES[rangeSel.value]).toISOString(), to: end.toISOString() });
      if (!ctx.isCurrent() || !fresh()) return;
      draw(d);
      updated.textContent = t('dash.updatedAt', { time: fmtTime(new Date().toISOString()) });
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      if (board.querySelector('.loading')) replace(board, inlineError(err));
    }
  }

  function draw(d) {
    const datasets = d.events_by_dataset || [];
    const bySource = d.events_by_source || [];
    const totalRate = datasets.reduce((sum, x) => sum + (Number(x.rate_per_s) || 0), 0);
    const totalEvents = datasets.reduce((sum, x) => sum + (Number(x.count) || 0), 0);
    const sev = d.alerts_by_severity || {};
    const totalAlerts = SEVERITIES.reduce((sum, k) => sum + (Number(sev[k]) || 0), 0);
    const sources = d.sources || [];
    const silent = sources.filter((x) => x.silent).length;
    const dead = d.dead_letters || { total: 0, by_reason: {} };
    const rules = d.rules || null;
    const sevLabels = Object.fromEntries(SEVERITIES.map((k) => [k, t(`sev.${k}`)]));

    const cards = h(
      'div',
      { class: 'stat-row' },
      card(t('dash.ingestRate'), rate(totalRate), t('dash.eventsInRange', { n: fmtNum(totalEvents) })),
      card(
        t('dash.alertsTotal'),
        fmtNum(totalAlerts),
        h('span', { class: 'sev-breakdown' }, [...SEVERITIES].reverse().map((k) => h('span', { class: `sev-dot sev-${k}`, title: sevLabels[k] }, fmtNum(sev[k] || 0)))),
        sev['5'] ? 'stat-danger' : '',
      ),
      card(t('dash.logSources'), `${fmtNum(sources.length - silent)} / ${fmtNum(sources.length)}`, silent ? h('span', { class: 'text-danger' }, t('dash.silentCount', { n: silent })) : t('dash.allReporting'), silent ? 'stat-danger' : ''),
      card(t('dash.deadLetters'), fmtNum(dead.total), t('dash.deadLettersNote'), dead.total ? 'stat-warn' : ''),
      card(t('dash.rules'), fmtNum(rules ? rules.loaded : null), rules ? t('dash.rulesNote', { failed: fmtNum(rules.failed), unrouted: fmtNum(rules.unrouted) }) : '—', rules && rules.failed ? 'stat-warn' : ''),
    );

    const severityRows = (d.alerts_over_time || []).map((r) => ({ t: r.t, values: r.by_severity || {} }));
    const deadItems = Object.entries(dead.by_reason || {})
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => ({ label: reason, value: n, color: '#f59e0b' }));

    replace(
      board,
      cards,
      responseCard(d.response, ctx),
      h(
        'div',
        { class: 'grid-2' },
        panel(t('dash.eventsOverTime'), lineChart((d.events_over_time || []).map((p) => ({ t: p.t, v: p.count })), { empty: t('common.noData'), className: 'chart-events' }), h('span', { class: 'muted small' }, d.interval ? t('dash.interval', { i: d.interval }) : '')),
        panel(
          t('dash.alertsOverTime'),
          h('div', {}, stackedBars(severityRows, SEVERITIES, { colors: SEVERITY_COLORS, labels: sevLabels, empty: t('common.noData'), className: 'chart-alerts' }), legend([...SEVERITIES].reverse(), SEVERITY_COLORS, sevLabels)),
        ),
      ),
      h(
        'div',
        { class: 'grid-2' },
        panel(
          t('dash.byDataset'),
          hbarList(
            [...datasets].sort((a, b) => (b.rate_per_s || 0) - (a.rate_per_s || 0)).slice(0, 12).map((x, i) => ({ label: x.dataset, value: x.rate_per_s || 0, note: fmtNum(x.count), color: PALETTE[i % PALETTE.length] })),
            { format: rate, empty: t('common.noData') },
          ),
        ),
        panel(
          t('dash.bySource'),
          hbarList(
            [...bySource].sort((a, b) => (b.rate_per_s || 0) - (a.rate_per_s || 0)).slice(0, 12).map((x) => ({ label: x.source, value: x.rate_per_s || 0, note: fmtNum(x.count), color: '#17a398' })),
            { format: rate, empty: t('common.noData') },
          ),
        ),
      ),
      h('div', { class: 'grid-2' }, panel(t('dash.topSources'), topTable(d.top_sources, 'top-sources', ctx.can('alerts:read'))), panel(t('dash.topTargets'), topTable(d.top_targets, 'top-targets', ctx.can('alerts:read')))),
      panel(
        t('dash.sourceHealth'),
        h('div', { class: 'table-wrap' }, sourcesTable(sources, 'dash-sources')),
        silent ? h('span', { class: 'chip chip-danger' }, t('dash.silentCount', { n: silent })) : null,
      ),
      h(
        'div',
        { class: 'grid-2' },
        panel(t('dash.deadByReason'), deadItems.length ? hbarList(deadItems, { labelW: 190 }) : emptyState(t('dash.noDeadLetters'))),
        panel(t('dash.ruleHealth'), ruleHealth(rules)),
      ),
    );
    // Severity chips in the alert card need the chip styling for screen readers too.
    board.querySelectorAll('.sev-dot').forEach((el, i) => el.setAttribute('aria-label', sevLabels[SEVERITIES[4 - i]]));
  }

  const timer = setInterval(() => {
    if (auto.checked && !document.hidden) load();
  }, REFRESH_MS);
  await load();
  return () => clearInterval(timer);
}

