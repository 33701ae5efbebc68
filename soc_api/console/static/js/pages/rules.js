// Rule health: every detection rule, loaded / failed (with why) / unrouted (no live source),
// matches, last fired and cost; plus the scheduled hunts.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, fmtDuration, emptyState, loading, inlineError, display, panel } from '../dom.js';

const STATES = ['loaded', 'failed', 'unrouted'];

function stateChip(state) {
  const cls = { loaded: 'chip-ok', failed: 'chip-danger', unrouted: 'chip-warn' }[state] || 'chip-plain';
  return h('span', { class: `chip ${cls}` }, t(`rules.state.${state}`, {}, state));
}

function cost(ns) {
  if (ns === null || ns === undefined) return '—';
  return ns >= 1000 ? `${fmtNum(ns / 1000, 1)} µs` : `${fmtNum(ns, 0)} ns`;
}

export async function render(root, ctx) {
  root.replaceChildren(loading());
  const [rulesResult, huntsResult] = await settle([api.get('/api/v1/rules'), api.get('/api/v1/rules/hunts')]);
  if (!rulesResult.ok) throw rulesResult.error;
  const data = rulesResult.value;
  const rules = data.rules || [];
  const counts = data.states || {};
  let stateFilter = STATES.includes(ctx.query.state) ? ctx.query.state : '';
  const text = h('input', { type: 'search', id: 'rules-filter', placeholder: t('rules.filterPh'), value: ctx.query.q || '' });
  const body = h('div', { class: 'table-wrap' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });

  function drawTabs() {
    replace(
      tabs,
      [['', t('common.all'), data.count ?? rules.length], ...STATES.map((st) => [st, t(`rules.state.${st}`), counts[st] || 0])].map(([st, label, n]) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: ['tab', stateFilter === st ? 'active' : '', st === 'failed' && n ? 'tab-danger' : '', st === 'unrouted' && n ? 'tab-warn' : ''],
            'data-state': st,
            onClick: () => {
              stateFilter = st;
              draw();
            },
          },
          label,
          h('span', { class: 'tab-count' }, fmtNum(n)),
        ),
      ),
    );
  }

  function draw() {
    drawTabs();
    ctx.setQuery({ state: stateFilter, q: text.value.trim() });
    const needle = text.value.trim().toLowerCase();
    const shown = rules.filter((r) => (!stateFilter || r.state === stateFilter) && (!needle || [r.rule_id, r.title, r.path, r.reason].some((v) => v && String(v).toLowerCase().includes(needle))));
    if (!shown.length) {
      replace(body, emptyState(rules.length ? t('rules.noMatch') : t('rules.empty'), rules.length ? null : t('rules.emptyHint')));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'table', id: 'rules-table' },
        h('thead', {}, h('tr', {}, ['rules.state', 'rules.title', 'rules.id', 'rules.matches', 'rules.lastFired', 'rules.evaluations', 'rules.cost', 'rules.reason'].map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          shown.map((r) =>
            h(
              'tr',
              { 'data-rule-id': r.rule_id, class: r.state === 'failed' ? 'row-danger' : '' },
              h('td', {}, stateChip(r.state)),
              h('td', { class: 'strong', title: r.path || '' }, display(r.title || r.rule_id), r.path ? h('div', { class: 'mono small muted' }, r.path) : null),
              h('td', { class: 'mono small' }, r.matches && ctx.can('alerts:read') ? h('a', { href: `#/alerts?rule_id=${encodeURIComponent(r.rule_id)}` }, r.rule_id) : display(r.rule_id)),
              h('td', { class: 'num' }, fmtNum(r.matches)),
              h('td', { class: 'nowrap' }, fmtTime(r.last_fired)),
              h('td', { class: 'num' }, fmtNum(r.evaluations)),
              h('td', { class: 'num' }, cost(r.mean_cost_ns)),
              h('td', { class: r.reason ? 'text-danger' : 'muted' }, display(r.reason)),
            ),
          ),
        ),
      ),
    );
  }
  text.addEventListener('input', draw);

  let huntsPanel = null;
  if (huntsResult.ok && (huntsResult.value.hunts || []).length) {
    const hunts = huntsResult.value.hunts;
    huntsPanel = panel(
      t('rules.hunts'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table compact', id: 'hunts-table' },
          h('thead', {}, h('tr', {}, ['rules.huntName', 'rules.huntEvery', 'rules.huntWatermark', 'rules.huntLastRun', 'rules.huntScanned', 'rules.matches', 'rules.huntAlerts', 'rules.huntError'].map((k) => h('th', {}, t(k))))),
          h(
            'tbody',
            {},
            hunts.map((hu) =>
              h(
                'tr',
                { class: hu.error ? 'row-danger' : '' },
                h('td', { class: 'strong', title: (hu.rules || []).join('\n') }, hu.name),
                h('td', {}, fmtDuration(hu.every_s)),
                h('td', { class: 'nowrap' }, fmtTime(hu.watermark)),
                h('td', { class: 'nowrap' }, fmtTime(hu.last_run)),
                h('td', { class: 'num' }, fmtNum(hu.scanned)),
                h('td', { class: 'num' }, fmtNum(hu.matches)),
                h('td', { class: 'num' }, fmtNum(hu.alerts)),
                h('td', { class: hu.error ? 'text-danger' : 'muted' }, display(hu.error)),
              ),
            ),
          ),
        ),
      ),
    );
  } else if (!huntsResult.ok && !huntsResult.error.sessionExpired && huntsResult.error.status !== 404) {
    huntsPanel = panel(t('rules.hunts'), inlineError(huntsResult.error));
  }

  replace(root, h('div', { class: 'toolbar' }, tabs, h('span', { class: 'grow' }), text), h('div', { class: 'card flush' }, body), huntsPanel);
  draw();
}
