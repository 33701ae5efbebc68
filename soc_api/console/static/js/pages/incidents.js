// Incident list (事件, graded per GB/T 20986) with a status filter and a "new incident" form.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, pager, select, showError, toast, display, labelled, modal, latestOnly } from '../dom.js';

const PAGE = 50;

/** Code → Chinese label for categories (top level and sub) and levels of the catalogue. */
export function catalogueLabels(catalogue) {
  const categories = {};
  for (const c of (catalogue && catalogue.categories) || []) {
    categories[c.code] = c.label_zh;
    for (const sub of c.subcategories || []) categories[sub.code] = sub.label_zh;
  }
  const levels = {};
  for (const l of (catalogue && catalogue.levels) || []) levels[l.code] = l.label_zh;
  return { categories, levels };
}

/** A category <select> grouped by top-level category. */
export function categorySelect(catalogue, current, attrs) {
  const el = h('select', attrs);
  for (const c of (catalogue && catalogue.categories) || []) {
    const group = h('optgroup', { label: `${c.code} ${c.label_zh}` });
    group.appendChild(h('option', { value: c.code, selected: c.code === current }, `${c.code} ${c.label_zh}`));
    for (const sub of c.subcategories || []) group.appendChild(h('option', { value: sub.code, selected: sub.code === current }, `${sub.code} ${sub.label_zh}`));
    el.appendChild(group);
  }
  if (current && !el.querySelector(`option[value="${CSS.escape(current)}"]`)) el.prepend(h('option', { value: current, selected: true }, current));
  return el;
}

export function levelChip(code, label) {
  return h('span', { class: `chip level level-${String(code || '').toLowerCase()}` }, label ? `${code} ${label}` : display(code));
}

export function incidentStatusChip(status) {
  return h('span', { class: `chip istatus istatus-${status || 'none'}` }, status ? t(`istatus.${status}`) : '—');
}

function newIncident(catalogue, ctx) {
  const title = h('input', { id: 'incident-title', type: 'text' });
  const category = categorySelect(catalogue, 'OI', { id: 'incident-category' });
  const levels = catalogue.levels || [];
  const level = select({ id: 'incident-level' }, levels.map((l) => [l.code, `${l.code} ${l.label_zh}`]), levels.length ? levels[levels.length - 1].code : '');
  const description = h('textarea', { id: 'incident-description', rows: 4 });
  const error = h('div', { class: 'form-error', hidden: true });
  modal(t('incidents.new'), h('div', { class: 'form-grid' }, labelled(t('incident.title'), title), labelled(t('incident.category'), category), labelled(t('incident.level'), level), labelled(t('incident.description'), description), error), [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.create'),
      primary: true,
      id: 'incident-create',
      onClick: async (close) => {
        if (!title.value.trim()) {
          error.textContent = t('incidents.titleRequired');
          error.hidden = false;
          return;
        }
        try {
          const created = await api.post('/api/v1/incidents', { title: title.value.trim(), category: category.value, level: level.value, description: description.value });
          close();
          toast(t('incident.created'));
          ctx.navigate(`#/incidents/${encodeURIComponent(created.id)}`);
        } catch (err) {
          if (err.sessionExpired) return;
          error.textContent = err.detail || err.message;
          error.hidden = false;
        }
      },
    },
  ]);
}

export async function render(root, ctx) {
  const f = { status: ctx.query.status || '', offset: Math.max(0, Number(ctx.query.offset) || 0) };
  root.replaceChildren(loading());
  const [catalogueResult] = await settle([api.get('/api/v1/incidents/catalogue')]);
  const catalogue = catalogueResult.ok ? catalogueResult.value : { categories: [], levels: [], statuses: ['open', 'contained', 'resolved', 'closed'] };
  if (!catalogueResult.ok && !catalogueResult.error.sessionExpired) showError(catalogueResult.error);
  const labels = catalogueLabels(catalogue);
  const statuses = catalogue.statuses || ['open', 'contained', 'resolved', 'closed'];

  const statusSel = select({ id: 'incident-filter-status' }, [['', t('common.all')], ...statuses.map((st) => [st, t(`istatus.${st}`)])], f.status);
  statusSel.addEventListener('change', () => {
    f.status = statusSel.value;
    f.offset = 0;
    load();
  });
  const body = h('div', { class: 'table-wrap' }, loading());
  const foot = h('div', { class: 'table-foot' });
  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'tb-field' }, h('span', {}, t('incident.status')), statusSel),
      h('span', { class: 'grow' }),
      ctx.can('incidents:manage') ? h('button', { class: 'btn btn-primary', id: 'incident-new', onClick: () => newIncident(catalogue, ctx) }, `+ ${t('incidents.new')}`) : null,
    ),
    h('div', { class: 'card flush' }, body, foot),
  );

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ status: f.status, offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/incidents', { status: f.status, limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) {
        replace(body, emptyState(t('incidents.empty'), t('incidents.emptyHint')));
      } else {
        replace(
          body,
          h(
            'table',
            { class: 'table', id: 'incidents-table' },
            h('thead', {}, h('tr', {}, ['incident.id', 'incident.title', 'incident.category', 'incident.level', 'incident.status', 'incident.owner', 'incident.alerts', 'incident.createdAt', 'incident.updatedAt'].map((k) => h('th', {}, t(k))))),
            h(
              'tbody',
              {},
              items.map((i) =>
                h(
                  'tr',
                  { 'data-incident-id': i.id, class: 'clickable', onClick: () => ctx.navigate(`#/incidents/${encodeURIComponent(i.id)}`) },
                  h('td', { class: 'mono' }, display(i.id)),
                  h('td', { class: 'strong' }, display(i.title)),
                  h('td', {}, h('span', { class: 'mono muted' }, `${display(i.category)} `), i.category_label || labels.categories[i.category] || ''),
                  h('td', {}, levelChip(i.level, i.level_label || labels.levels[i.level])),
                  h('td', {}, incidentStatusChip(i.status)),
                  h('td', {}, display(i.owner)),
                  h('td', { class: 'num' }, fmtNum(i.alert_count)),
                  h('td', { class: 'nowrap' }, fmtTime(i.created_at)),
                  h('td', { class: 'nowrap' }, fmtTime(i.updated_at)),
                ),
              ),
            ),
          ),
        );
      }
      replace(
        foot,
        pager(data.total || 0, f.offset, PAGE, (o) => {
          f.offset = o;
          load();
        }),
      );
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(body, inlineError(err));
    }
  }
  await load();
}
