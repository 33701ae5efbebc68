// Event search: Lucene query, time range, histogram, results with full JSON, field sidebar
// with top values (click to pivot), and saved queries.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, select, showError, toast, display, field, jsonBlock, labelled, modal, toLocalInput, fromLocalInput, demoTag, latestOnly } from '../dom.js';
import { barChart } from '../charts.js';

const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const COLUMNS = [
  ['@timestamp', 'search.col.time'],
  ['event.dataset', 'search.col.dataset'],
  ['source.ip', 'search.col.sourceIp'],
  ['destination.ip', 'search.col.destinationIp'],
  ['event.action', 'search.col.action'],
  ['message', 'search.col.message'],
];

/** `field:"value"` with quotes and backslashes escaped. */
export function term(name, value) {
  const text = String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `${name}:"${text}"`;
}

/** The query with one more AND-ed term; a top-level OR is parenthesised to keep its meaning. */
export function pivot(query, name, value) {
  const q = (query || '').trim();
  const add = term(name, value);
  if (!q || q === '*') return add;
  return /\sOR\s/i.test(q) ? `(${q}) AND ${add}` : `${q} AND ${add}`;
}

function intervalMs(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(String(text || '').trim());
  if (!m) return 0;
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2]];
}

export async function render(root, ctx) {
  const state = {
    q: ctx.query.q || '',
    range: ctx.query.range && (RANGES[ctx.query.range] || ctx.query.range === 'custom') ? ctx.query.range : '24h',
    from: ctx.query.from || '',
    to: ctx.query.to || '',
  };

  // -- query bar ------------------------------------------------------------------------
  const queryInput = h('input', { id: 'search-query', type: 'text', class: 'mono query-input', value: state.q, placeholder: t('search.queryPh'), spellcheck: false, autocomplete: 'off' });
  const rangeSel = select({ id: 'search-range' }, [...Object.keys(RANGES).map((k) => [k, t(`range.${k}`)]), ['custom', t('range.custom')]], state.range);
  const now = new Date();
  const fromInput = h('input', { id: 'search-from', type: 'datetime-local', value: state.from ? toLocalInput(new Date(state.from)) : toLocalInput(new Date(now - 86400e3)) });
  const toInput = h('input', { id: 'search-to', type: 'datetime-local', value: state.to ? toLocalInput(new Date(state.to)) : toLocalInput(now) });
  const customBox = h('span', { class: 'custom-range', hidden: state.range !== 'custom' }, fromInput, ' – ', toInput);
  rangeSel.addEventListener('change', () => {
    customBox.hidden = rangeSel.value !== 'custom';
    if (rangeSel.value !== 'custom') run();
  });
  queryInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') run();
  });
  const submit = h('button', { id: 'search-submit', class: 'btn btn-primary', onClick: () => run() }, t('search.submit'));
  const canSave = ctx.can('queries:manage');
  const saveBtn = canSave ? h('button', { id: 'query-save', class: 'btn', onClick: () => saveQuery() }, t('search.save')) : null;

  const histogram = h('div', { class: 'histogram-wrap' });
  const summary = h('div', { class: 'search-summary muted' });
  const results = h('div', { id: 'search-results', class: 'table-wrap' });
  const fieldList = h('div', { class: 'field-list' });
  const fieldFilter = h('input', { type: 'search', class: 'field-filter', placeholder: t('search.filterFields') });
  fieldFilter.addEventListener('input', () => {
    const needle = fieldFilter.value.trim().toLowerCase();
    fieldList.querySelectorAll('.field-item').forEach((el) => {
      el.hidden = Boolean(needle) && !el.dataset.field.toLowerCase().includes(needle);
    });
  });
  const sidebar = h('aside', { id: 'field-sidebar', class: 'field-sidebar' }, h('div', { class: 'side-title' }, t('search.fields')), fieldFilter, fieldList);
  const savedList = h('ul', { class: 'saved-list', id: 'saved-queries' });

  replace(
    root,
    h('div', { class: 'toolbar search-bar' }, queryInput, rangeSel, customBox, submit, saveBtn),
    h('div', { class: 'search-help muted' }, t('search.help')),
    h(
      'div',
      { class: 'search-layout' },
      h('div', { class: 'search-side' }, canSave ? h('div', { class: 'card saved-card' }, h('div', { class: 'side-title' }, t('search.saved')), savedList) : null, sidebar),
      h('div', { class: 'search-main' }, h('div', { class: 'card' }, summary, histogram), h('div', { class: 'card flush' }, results)),
    ),
  );

  function timeWindow() {
    if (rangeSel.value === 'custom') return { from: fromLocalInput(fromInput.value), to: fromLocalInput(toInput.value) };
    const end = new Date();
    return { from: new Date(end - RANGES[rangeSel.value]).toISOString(), to: end.toISOString() };
  }

  function renderFields(data) {
    const fields = (data && data.fields) || [];
    if (!fields.length) {
      replace(fieldList, h('p', { class: 'muted small' }, t('search.noFields')));
      return;
    }
    replace(
      fieldList,
      h('div', { class: 'muted small sampled' }, t('search.sampled', { n: fmtNum(data.sampled) })),
      fields.map((fd) => {
        const max = Math.max(1, ...(fd.top || []).map((v) => v.count));
        return h(
          'details',
          { class: 'field-item', 'data-field': fd.name, open: true },
          h('summary', {}, h('span', { class: 'mono field-name' }, fd.name), h('span', { class: 'field-count' }, fmtNum(fd.count))),
          h(
            'ul',
            { class: 'top-values' },
            (fd.top || []).map((v) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'field-value',
                    'data-field': fd.name,
                    'data-value': String(v.value),
                    title: t('search.pivotHint', { term: term(fd.name, v.value) }),
                    onClick: () => {
                      queryInput.value = pivot(queryInput.value, fd.name, v.value);
                      run();
                    },
                  },
                  h('span', { class: 'fv-text mono' }, display(v.value)),
                  h('span', { class: 'fv-count' }, fmtNum(v.count)),
                  h('span', { class: 'fv-bar', style: { width: `${Math.round((100 * v.count) / max)}%` } }),
                ),
              ),
            ),
          ),
        );
      }),
    );
    fieldFilter.dispatchEvent(new Event('input'));
  }

  function renderHistogram(data) {
    const buckets = (data && data.buckets) || [];
    const step = intervalMs(data && data.interval);
    const chart = barChart(buckets, {
      id: 'search-histogram',
      width: 1000,
      height: 130,
      empty: t('search.noHistogram'),
      onBar: step
        ? (b) => {
            const start = new Date(b.t);
            rangeSel.value = 'custom';
            customBox.hidden = false;
            fromInput.value = toLocalInput(start);
            toInput.value = toLocalInput(new Date(start.getTime() + Math.max(step, 60e3)));
            run();
          }
        : null,
    });
    replace(histogram, chart);
  }

  function renderResults(data) {
    const events = (data && data.events) || [];
    ctx.markDemo(events);
    if (!events.length) {
      replace(results, emptyState(t('search.empty'), t('search.emptyHint')));
      return;
    }
    const rows = [];
    events.forEach((ev, i) => {
      const detail = h('tr', { class: 'event-detail', hidden: true }, h('td', { colspan: COLUMNS.length + 1 }, jsonBlock(ev)));
      const toggle = h('span', { class: 'expander', 'aria-hidden': 'true' }, '▸');
      const row = h(
        'tr',
        {
          class: 'clickable event-row',
          'data-index': i,
          onClick: () => {
            detail.hidden = !detail.hidden;
            toggle.textContent = detail.hidden ? '▸' : '▾';
          },
        },
        h('td', { class: 'check' }, toggle),
        COLUMNS.map(([name]) => {
          const v = field(ev, name);
          if (name === '@timestamp') return h('td', { class: 'nowrap' }, fmtTime(v));
          if (name === 'message') return h('td', { class: 'message-cell', title: display(v) }, h('div', { class: 'cell-clip' }, ev.demo ? demoTag() : null, display(v)));
          return h('td', { class: name.endsWith('.ip') ? 'mono nowrap' : 'nowrap' }, display(v));
        }),
      );
      rows.push(row, detail);
    });
    replace(results, h('table', { class: 'table table-events' }, h('thead', {}, h('tr', {}, h('th', { class: 'check' }), COLUMNS.map(([, key]) => h('th', {}, t(key))))), h('tbody', {}, rows)));
  }

  const nextLoad = latestOnly();
  async function run() {
    const fresh = nextLoad();
    const q = queryInput.value.trim();
    const { from, to } = timeWindow();
    ctx.setQuery({ q, range: rangeSel.value === '24h' ? '' : rangeSel.value, from: rangeSel.value === 'custom' ? from : '', to: rangeSel.value === 'custom' ? to : '' });
    results.replaceChildren(loading());
    histogram.replaceChildren(loading());
    fieldList.replaceChildren(loading());
    summary.textContent = '';
    const params = { q, from, to };
    const [events, hist, fields] = await settle([
      api.get('/api/v1/events', { ...params, limit: 100 }),
      api.get('/api/v1/events/histogram', { ...params, interval: 'auto' }),
      api.get('/api/v1/events/fields', params),
    ]);
    if (!ctx.isCurrent() || !fresh()) return;
    const firstError = [events, hist, fields].find((r) => !r.ok);
    if (firstError && firstError.error.sessionExpired) return;
    if (firstError) showError(firstError.error);
    if (events.ok) {
      const total = hist.ok ? (hist.value.buckets || []).reduce((sum, b) => sum + (Number(b.count) || 0), 0) : null;
      summary.textContent = t('search.summary', { shown: fmtNum(events.value.count ?? (events.value.events || []).length), total: total === null ? '—' : fmtNum(total), interval: hist.ok ? hist.value.interval || '—' : '—' });
      renderResults(events.value);
    } else replace(results, inlineError(events.error));
    if (hist.ok) renderHistogram(hist.value);
    else replace(histogram, barChart([], { id: 'search-histogram', empty: t('search.noHistogram') }));
    if (fields.ok) renderFields(fields.value);
    else replace(fieldList, inlineError(fields.error));
  }

  async function loadSaved() {
    try {
      const data = await api.get('/api/v1/queries');
      const items = data.items || [];
      if (!items.length) {
        replace(savedList, h('li', { class: 'muted small' }, t('search.noSaved')));
        return;
      }
      replace(
        savedList,
        items.map((sq) =>
          h(
            'li',
            { class: 'saved-item', 'data-query-id': sq.id },
            h(
              'button',
              {
                type: 'button',
                class: 'link-btn saved-load',
                title: sq.query,
                onClick: () => {
                  queryInput.value = sq.query;
                  run();
                },
              },
              display(sq.name),
            ),
            sq.shared ? h('span', { class: 'chip chip-plain', title: t('search.sharedBy', { owner: sq.owner }) }, t('search.shared')) : null,
            // Only one's own queries can be deleted; shared ones of others are for loading.
            sq.owner === ctx.me.username &&
              h(
                'button',
                {
                  type: 'button',
                  class: 'icon-btn saved-delete',
                  'aria-label': t('common.delete'),
                  title: t('common.delete'),
                  onClick: async () => {
                    if (!confirm(t('search.confirmDelete', { name: sq.name }))) return;
                    try {
                      await api.del(`/api/v1/queries/${encodeURIComponent(sq.id)}`);
                      toast(t('common.deleted'));
                      loadSaved();
                    } catch (err) {
                      if (!err.sessionExpired) showError(err);
                    }
                  },
                },
                '×',
              ),
          ),
        ),
      );
    } catch (err) {
      if (err.sessionExpired) return;
      replace(savedList, h('li', { class: 'muted small' }, err.detail || err.message));
    }
  }

  function saveQuery() {
    const name = h('input', { id: 'query-name', type: 'text' });
    const shared = h('input', { id: 'query-shared', type: 'checkbox' });
    const error = h('div', { class: 'form-error', hidden: true });
    modal(
      t('search.save'),
      h('div', { class: 'form-grid' }, labelled(t('search.queryName'), name), h('div', { class: 'mono small query-preview' }, queryInput.value || '*'), h('label', { class: 'check-label' }, shared, ' ', t('search.shareWithTeam')), error),
      [
        { label: t('common.cancel'), onClick: (close) => close() },
        {
          label: t('common.save'),
          primary: true,
          id: 'query-save-confirm',
          onClick: async (close) => {
            if (!name.value.trim()) {
              error.textContent = t('search.nameRequired');
              error.hidden = false;
              return;
            }
            try {
              await api.post('/api/v1/queries', { name: name.value.trim(), query: queryInput.value.trim(), shared: shared.checked });
              close();
              toast(t('common.saved'));
              loadSaved();
            } catch (err) {
              if (err.sessionExpired) return;
              error.textContent = err.detail || err.message;
              error.hidden = false;
            }
          },
        },
      ],
    );
    name.focus();
  }

  if (canSave) loadSaved();
  await run();
}
