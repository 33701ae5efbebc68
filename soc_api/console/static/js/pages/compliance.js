// 等保 2.0 gap view (合规差距): every GB/T 22239-2019 level-3 item the platform evidences, judged on
// live data for a period, high-risk failures first (the API's order), with the numbers behind each
// verdict and the evidence-pack export.
import { api, csrfToken, formatDetail, ApiError } from '../api.js';
import { t, getLang } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, showError, toast, latestOnly } from '../dom.js';

const PERIOD_DAYS = [7, 30, 90, 180];
const DEFAULT_DAYS = 30;
const DAY_MS = 86400000;
// Filter tabs, worst first; the list itself keeps the API's order.
const STATUSES = ['non_compliant', 'partial', 'undetermined', 'compliant'];
const STATUS_CLASS = { compliant: 'chip-ok', partial: 'chip-warn', non_compliant: 'chip-danger', undetermined: 'chip-plain' };
const STAT_CLASS = { compliant: 'stat-ok', partial: 'stat-warn', non_compliant: 'stat-danger', undetermined: 'stat-muted' };
const LIST_SHOWN = 8; // list entries shown before "… n more"
const TEXT_SHOWN = 160; // characters of a deeply nested value shown before cutting it

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function validDate(text) {
  const d = text ? new Date(text) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/** The period from the query (a linked view) or the default: {from, to, days|null}. */
function periodFromQuery(query) {
  const from = validDate(query.from);
  const to = validDate(query.to);
  if (from && to && from < to) {
    const span = (to - from) / DAY_MS;
    const days = PERIOD_DAYS.find((n) => Math.abs(span - n) < 0.01) || null;
    return { from, to, days };
  }
  return lastDays(DEFAULT_DAYS);
}

function lastDays(days) {
  const to = new Date();
  return { from: new Date(to.getTime() - days * DAY_MS), to, days };
}

export function statusLabel(status, statusZh) {
  if (getLang() === 'zh-CN' && statusZh) return statusZh;
  return t(`compliance.status.${status}`, {}, status);
}

export function statusPill(status, statusZh) {
  return h('span', { class: ['chip', 'compliance-pill', STATUS_CLASS[status] || 'chip-plain'], 'data-status': status }, statusLabel(status, statusZh));
}

function highRiskBadge(note) {
  return h('span', { class: 'chip chip-risk', title: note ? t('compliance.highRiskTitle', { note }) : null }, t('compliance.highRisk'));
}

// -- evidence numbers --------------------------------------------------------------------

function scalar(v) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, '—');
  if (typeof v === 'boolean') return h('span', { class: v ? 'ev-yes' : 'ev-no' }, t(v ? 'compliance.yes' : 'compliance.no'));
  if (typeof v === 'number') return h('span', { class: 'ev-num' }, fmtNum(v, Number.isInteger(v) ? 0 : 3));
  return h('span', { class: 'ev-text' }, String(v));
}

function joined(parts, separator) {
  return parts.flatMap((part, i) => (i ? [h('span', { class: 'ev-sep' }, separator), part] : [part]));
}

/** A value of any shape on one wrapping line: lists cut after LIST_SHOWN, deep nesting as text. */
function compact(v, depth = 0) {
  if (Array.isArray(v)) {
    if (!v.length) return h('span', { class: 'muted' }, t('compliance.emptyValue'));
    const shown = v.slice(0, LIST_SHOWN).map((x) => compact(x, depth + 1));
    return h(
      'span',
      { class: 'ev-list' },
      joined(shown, ', '),
      v.length > LIST_SHOWN ? h('span', { class: 'ev-more' }, t('compliance.more', { n: fmtNum(v.length - LIST_SHOWN), total: fmtNum(v.length) })) : null,
    );
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v);
    if (!entries.length) return h('span', { class: 'muted' }, t('compliance.emptyValue'));
    if (depth >= 2) {
      const text = JSON.stringify(v);
      return h('span', { class: 'ev-text mono', title: text.length > TEXT_SHOWN ? text : null }, text.length > TEXT_SHOWN ? `${text.slice(0, TEXT_SHOWN)}…` : text);
    }
    const pairs = entries.map(([k, x]) => h('span', { class: 'ev-pair' }, h('span', { class: 'ev-subkey' }, k), compact(x, depth + 1)));
    return h('span', { class: ['ev-map', depth ? 'ev-nested' : ''] }, joined(pairs, depth ? ', ' : ' · '));
  }
  return scalar(v);
}

function evidenceList(evidence) {
  const entries = Object.entries(evidence || {});
  if (!entries.length) return h('span', { class: 'muted' }, t('compliance.noEvidence'));
  return h('dl', { class: 'ev-dl' }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, compact(v))]));
}

// -- links to the data behind an item ----------------------------------------------------

function dataLinks(links, ctx) {
  if (!links || !links.length) return h('span', { class: 'muted' }, t('compliance.noLinks'));
  return h(
    'div',
    { class: 'chip-row' },
    links.map((link) => {
      const perm = ctx.routePermission(link.href);
      if (perm && ctx.can(perm)) return h('a', { class: 'chip chip-link', href: link.href }, `${link.label} →`);
      return h('span', { class: 'chip chip-plain link-denied', title: t('compliance.linkForbidden', { perm: perm || link.href }) }, link.label);
    }),
  );
}

function detailRow(label, value) {
  return h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, label), h('div', { class: 'kv-v' }, value));
}

function itemRow(item, ctx, opened) {
  const key = `${item.clause} ${item.item})`;
  const row = h(
    'details',
    { class: ['gap-item', `gap-${item.status}`, item.high_risk ? 'gap-high-risk' : ''], 'data-key': key, 'data-status': item.status, open: opened.has(key) },
    h(
      'summary',
      { class: 'gap-summary' },
      h('span', { class: 'gap-status' }, statusPill(item.status, item.status_zh)),
      h('span', { class: 'gap-key mono' }, key),
      h(
        'span',
        { class: 'gap-main' },
        h('span', { class: 'gap-title' }, h('span', { class: 'gap-control' }, item.control), item.high_risk ? highRiskBadge(item.high_risk_note) : null),
        h('span', { class: 'gap-text' }, item.summary),
      ),
      h('span', { class: 'gap-toggle' }, t('compliance.details')),
    ),
    h(
      'div',
      { class: 'gap-detail' },
      detailRow(t('compliance.requirement'), h('span', { class: 'gap-requirement' }, item.text)),
      detailRow(t('compliance.evidencedBy'), item.evidenced_by),
      detailRow(t('compliance.method'), [item.method, ' ', h('span', { class: 'mono small muted', title: t('compliance.measure') }, `(${item.measure})`)]),
      item.high_risk ? detailRow(t('compliance.highRiskCase'), item.high_risk_note || '—') : null,
      detailRow(t('compliance.evidence'), evidenceList(item.evidence)),
      detailRow(t('compliance.links'), dataLinks(item.links, ctx)),
    ),
  );
  row.addEventListener('toggle', () => (row.open ? opened.add(key) : opened.delete(key)));
  return row;
}

// -- the evidence-pack download ----------------------------------------------------------

/** The file name a Content-Disposition header gives, without any directory part. */
export function dispositionFilename(header) {
  if (!header) return null;
  let name = null;
  const encoded = /filename\*\s*=\s*[\w-]+'[^']*'([^;]+)/i.exec(header);
  if (encoded) {
    try {
      name = decodeURIComponent(encoded[1].trim());
    } catch {
      name = null;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(header);
    name = plain ? (plain[1] ?? plain[2]).trim() : null;
  }
  name = name ? name.split(/[\\/]/).pop() : null;
  return name || null;
}

/**
 * POST a JSON body and save the answer as a file: fetch → blob → object URL → <a download>, so
 * the CSRF header travels with the request and nothing is written into the page.
 */
async function downloadPost(path, body, fallbackName) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/zip, application/json' };
  const token = csrfToken();
  if (token) headers['X-CSRF-Token'] = token;
  let response;
  try {
    response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, t('err.network'), null);
  }
  if (!response.ok) {
    const text = await response.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // a plain-text error body is shown as it is
    }
    // An ended session: let the API wrapper's own 401 handling send the user to sign in.
    if (response.status === 401) await api.get('/api/v1/auth/me');
    throw new ApiError(response.status, formatDetail(data) || response.statusText || `HTTP ${response.status}`, data);
  }
  const blob = await response.blob();
  const name = dispositionFilename(response.headers.get('Content-Disposition')) || fallbackName;
  const url = URL.createObjectURL(blob);
  const anchor = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // The browser has taken the blob once the click is handled; release it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}

// -- the page ----------------------------------------------------------------------------

export async function render(root, ctx) {
  ctx.setSubtitle(t('compliance.standard'));
  let period = periodFromQuery(ctx.query);
  let statusFilter = STATUSES.includes(ctx.query.status) ? ctx.query.status : '';
  let data = null;
  const opened = new Set();

  const periodSelect = h('select', { id: 'compliance-period' });
  const periodText = h('span', { class: 'muted small', id: 'compliance-period-text' });
  const stats = h('div', { class: 'stat-row compliance-stats', id: 'compliance-stats' });
  const tabs = h('div', { class: 'tabs', role: 'tablist', id: 'compliance-tabs' });
  const count = h('span', { class: 'muted small' });
  const list = h('div', { class: 'gap-list', id: 'compliance-items' }, loading());
  const refresh = h('button', { type: 'button', class: 'btn', id: 'compliance-refresh' }, t('common.refresh'));
  const exportLabel = h('span', {}, t('compliance.export'));
  const exportBtn = ctx.can('compliance:export')
    ? h('button', { type: 'button', class: 'btn btn-primary', id: 'compliance-export', title: t('compliance.exportHint') }, exportLabel)
    : null;

  function drawPeriodSelect() {
    const options = PERIOD_DAYS.map((n) => [String(n), t('compliance.lastDays', { n })]);
    if (!period.days) options.push(['custom', t('compliance.custom')]);
    replace(periodSelect, options.map(([value, label]) => h('option', { value, selected: value === String(period.days || 'custom') }, label)));
  }

  function syncQuery() {
    ctx.setQuery({ from: period.from.toISOString(), to: period.to.toISOString(), status: statusFilter });
  }

  function drawStats() {
    const totals = data.totals || {};
    const all = (data.items || []).length;
    const share = (n) => (all ? t('compliance.share', { pct: Math.round((100 * n) / all) }) : '');
    replace(
      stats,
      ['compliant', 'partial', 'non_compliant', 'undetermined'].map((st) =>
        h(
          'div',
          { class: ['stat-card', STAT_CLASS[st]], 'data-status': st },
          h('div', { class: 'stat-label' }, t(`compliance.status.${st}`)),
          h('div', { class: 'stat-value' }, fmtNum(totals[st] || 0)),
          h('div', { class: 'stat-note' }, share(totals[st] || 0)),
        ),
      ),
      h(
        'div',
        { class: ['stat-card', 'stat-high-risk', data.high_risk_failing ? 'stat-danger' : 'stat-ok'], id: 'compliance-high-risk' },
        h('div', { class: 'stat-label' }, t('compliance.highRiskFailing')),
        h('div', { class: 'stat-value' }, fmtNum(data.high_risk_failing || 0)),
        h('div', { class: 'stat-note' }, t('compliance.highRiskFailingNote')),
      ),
    );
  }

  function drawTabs() {
    const totals = data.totals || {};
    replace(
      tabs,
      [['', t('common.all'), (data.items || []).length], ...STATUSES.map((st) => [st, t(`compliance.status.${st}`), totals[st] || 0])].map(([st, label, n]) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': String(statusFilter === st),
            class: ['tab', statusFilter === st ? 'active' : '', st === 'non_compliant' && n ? 'tab-danger' : '', st === 'partial' && n ? 'tab-warn' : ''],
            'data-status': st,
            onClick: () => {
              statusFilter = st;
              syncQuery();
              drawList();
            },
          },
          label,
          h('span', { class: 'tab-count' }, fmtNum(n)),
        ),
      ),
    );
  }

  function drawList() {
    drawTabs();
    const items = (data.items || []).filter((it) => !statusFilter || it.status === statusFilter);
    count.textContent = t('compliance.itemCount', { n: fmtNum(items.length) });
    if (!items.length) replace(list, emptyState(data.items && data.items.length ? t('compliance.noItems') : t('compliance.empty')));
    else replace(list, items.map((it) => itemRow(it, ctx, opened)));
  }

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    drawPeriodSelect();
    syncQuery();
    refresh.disabled = true;
    list.replaceChildren(loading());
    try {
      const answer = await api.get('/api/v1/compliance/status', { from: period.from.toISOString(), to: period.to.toISOString() });
      if (!ctx.isCurrent() || !fresh()) return;
      data = answer;
      periodText.textContent = `${fmtTime(data.period_start)} — ${fmtTime(data.period_end)} · ${t('compliance.generatedAt', { time: fmtTime(data.generated_at) })}`;
      drawStats();
      drawList();
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(list, inlineError(err));
    } finally {
      if (fresh()) refresh.disabled = false;
    }
  }

  periodSelect.addEventListener('change', () => {
    const days = Number(periodSelect.value);
    if (PERIOD_DAYS.includes(days)) period = lastDays(days);
    load();
  });
  // A "last n days" view rolls forward to now; a custom period is evaluated again as it is.
  refresh.addEventListener('click', () => {
    if (period.days) period = lastDays(period.days);
    load();
  });

  if (exportBtn) {
    exportBtn.addEventListener('click', async () => {
      exportBtn.disabled = true;
      replace(exportBtn, h('span', { class: 'spinner' }), t('compliance.exporting'));
      try {
        const name = await downloadPost('/api/v1/compliance/export', { from: period.from.toISOString(), to: period.to.toISOString() }, 'evidence-pack.zip');
        toast(t('compliance.exported', { name }));
      } catch (err) {
        if (!err.sessionExpired) toast(t('compliance.exportFailed', { detail: err.detail || err.message }), 'error');
      } finally {
        replace(exportBtn, exportLabel);
        exportBtn.disabled = false;
      }
    });
  }

  replace(
    root,
    h(
      'div',
      { class: 'toolbar compliance-toolbar' },
      h('label', { class: 'tb-field' }, h('span', {}, t('compliance.period')), periodSelect),
      h('div', { class: 'compliance-period' }, periodText),
      h('span', { class: 'grow' }),
      refresh,
      exportBtn,
    ),
    stats,
    h('p', { class: 'muted small compliance-note' }, t('compliance.note')),
    h('div', { class: 'card flush' }, h('div', { class: 'gap-head' }, tabs, h('span', { class: 'grow' }), count), list),
  );
  await load();
}
