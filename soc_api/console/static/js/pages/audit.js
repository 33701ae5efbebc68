// Operation log (操作日志): who did what, from where, with what outcome; before/after diff and
// verification of the hash chain.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, pager, showError, display, roleChips, jsonBlock, fromLocalInput, toLocalInput, latestOnly } from '../dom.js';

const PAGE = 100;

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function cell(v) {
  if (v === undefined) return h('span', { class: 'muted' }, '—');
  return h('code', {}, typeof v === 'string' ? v : JSON.stringify(v));
}

/** Field-by-field table of what changed; plain side-by-side JSON when not both objects. */
export function diffView(before, after) {
  if (before == null && after == null) return null;
  if ((isPlainObject(before) || before == null) && (isPlainObject(after) || after == null)) {
    const b = before || {};
    const a = after || {};
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    return h(
      'table',
      { class: 'table compact diff' },
      h('thead', {}, h('tr', {}, h('th', {}, t('audit.field')), h('th', {}, t('audit.before')), h('th', {}, t('audit.after')))),
      h(
        'tbody',
        {},
        keys.map((k) => {
          const kind = !(k in b) ? 'added' : !(k in a) ? 'removed' : same(b[k], a[k]) ? 'same' : 'changed';
          return h('tr', { class: `diff-${kind}` }, h('td', { class: 'mono' }, k), h('td', {}, cell(b[k])), h('td', {}, cell(a[k])));
        }),
      ),
    );
  }
  return h('div', { class: 'diff-sides' }, h('div', {}, h('h5', {}, t('audit.before')), jsonBlock(before)), h('div', {}, h('h5', {}, t('audit.after')), jsonBlock(after)));
}

function outcomeChip(outcome) {
  const cls = outcome === 'success' || outcome === 'ok' ? 'chip-ok' : outcome === 'denied' || outcome === 'failure' || outcome === 'failed' ? 'chip-danger' : 'chip-plain';
  return h('span', { class: `chip ${cls}` }, t(`outcome.${outcome}`, {}, display(outcome)));
}

export async function render(root, ctx) {
  const f = {
    actor: ctx.query.actor || '',
    action: ctx.query.action || '',
    from: ctx.query.from || '',
    to: ctx.query.to || '',
    offset: Math.max(0, Number(ctx.query.offset) || 0),
  };
  const actor = h('input', { id: 'audit-actor', type: 'text', value: f.actor, placeholder: t('audit.actorPh') });
  const action = h('input', { id: 'audit-action', type: 'text', value: f.action, class: 'mono', placeholder: t('audit.actionPh') });
  const from = h('input', { id: 'audit-from', type: 'datetime-local', value: f.from ? toLocalInput(new Date(f.from)) : '' });
  const to = h('input', { id: 'audit-to', type: 'datetime-local', value: f.to ? toLocalInput(new Date(f.to)) : '' });
  const verifyResult = h('div', { id: 'audit-verify-result', class: 'verify-result', hidden: true });
  const verify = h('button', { class: 'btn', id: 'audit-verify' }, t('audit.verify'));
  const body = h('div', { class: 'table-wrap' }, loading());
  const foot = h('div', { class: 'table-foot' });

  const apply = (offset = 0) => {
    Object.assign(f, { actor: actor.value.trim(), action: action.value.trim(), from: fromLocalInput(from.value) || '', to: fromLocalInput(to.value) || '', offset });
    load();
  };
  for (const el of [actor, action]) el.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  for (const el of [from, to]) el.addEventListener('change', () => apply());

  verify.addEventListener('click', async () => {
    verify.disabled = true;
    verifyResult.hidden = false;
    verifyResult.className = 'verify-result';
    replace(verifyResult, loading());
    try {
      const r = await api.get('/api/v1/audit/verify');
      verifyResult.classList.add(r.ok ? 'verify-ok' : 'verify-bad');
      verifyResult.dataset.ok = String(Boolean(r.ok));
      replace(
        verifyResult,
        h('strong', {}, r.ok ? t('audit.chainOk') : t('audit.chainBad')),
        h('span', {}, t('audit.chainEntries', { n: fmtNum(r.entries) })),
        r.ok ? null : h('span', {}, t('audit.firstBad', { seq: display(r.first_bad_seq) }), r.reason ? ` — ${r.reason}` : ''),
        h('span', { class: 'mono small' }, t('audit.head', { seq: display(r.head_seq), hash: r.head_hash ? `${String(r.head_hash).slice(0, 16)}…` : '—' })),
      );
    } catch (err) {
      if (err.sessionExpired) return;
      showError(err);
      verifyResult.classList.add('verify-bad');
      replace(verifyResult, err.detail || err.message);
    } finally {
      verify.disabled = false;
    }
  });

  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'tb-field' }, h('span', {}, t('audit.actor')), actor),
      h('label', { class: 'tb-field' }, h('span', {}, t('audit.action')), action),
      h('label', { class: 'tb-field' }, h('span', {}, t('common.from')), from),
      h('label', { class: 'tb-field' }, h('span', {}, t('common.to')), to),
      h('button', { class: 'btn btn-primary', id: 'audit-apply', onClick: () => apply() }, t('common.query')),
      h('span', { class: 'grow' }),
      verify,
    ),
    verifyResult,
    h('p', { class: 'muted small' }, t('audit.note')),
    h('div', { class: 'card flush' }, body, foot),
  );

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ actor: f.actor, action: f.action, from: f.from, to: f.to, offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/audit', { actor: f.actor, action: f.action, from: f.from, to: f.to, limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) replace(body, emptyState(t('audit.empty')));
      else {
        const rows = [];
        for (const e of items) {
          const detail = h(
            'tr',
            { class: 'audit-detail', hidden: true },
            h(
              'td',
              { colspan: 9 },
              h('div', { class: 'audit-detail-body' }, e.detail ? h('p', {}, display(e.detail)) : null, diffView(e.before, e.after), h('div', { class: 'mono small muted' }, `hash ${display(e.hash)}`)),
            ),
          );
          const toggle = h('span', { class: 'expander' }, '▸');
          rows.push(
            h(
              'tr',
              {
                'data-action': e.action,
                'data-seq': e.seq,
                class: ['clickable', e.outcome && e.outcome !== 'success' && e.outcome !== 'ok' ? 'row-warn' : ''],
                onClick: () => {
                  detail.hidden = !detail.hidden;
                  toggle.textContent = detail.hidden ? '▸' : '▾';
                },
              },
              h('td', { class: 'check' }, toggle),
              h('td', { class: 'num mono' }, display(e.seq)),
              h('td', { class: 'nowrap' }, fmtTime(e.ts)),
              h('td', { class: 'strong' }, display(e.actor)),
              h('td', {}, roleChips(e.actor_roles)),
              h('td', { class: 'mono' }, display(e.source_ip)),
              h('td', { class: 'mono' }, display(e.action)),
              h('td', { class: 'target-cell', title: display(e.target) }, h('div', { class: 'cell-clip' }, display(e.target))),
              h('td', {}, outcomeChip(e.outcome)),
            ),
            detail,
          );
        }
        replace(
          body,
          h(
            'table',
            { class: 'table', id: 'audit-table' },
            h('thead', {}, h('tr', {}, h('th', { class: 'check' }), ['audit.seq', 'audit.time', 'audit.actor', 'audit.roles', 'audit.sourceIp', 'audit.action', 'audit.target', 'audit.outcome'].map((k) => h('th', {}, t(k))))),
            h('tbody', {}, rows),
          ),
        );
      }
      replace(foot, pager(data.total || 0, f.offset, PAGE, (o) => apply(o)));
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(body, inlineError(err));
    }
  }
  await load();
}
