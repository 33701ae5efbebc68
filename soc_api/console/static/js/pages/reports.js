// 通报 records (《国家网络安全事件报告管理办法》): the list with each draft's deadline counting down
// (overdue in red), and one record with the 办法's fields, its state buttons and the PDF/DOCX forms.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, emptyState, loading, inlineError, pager, select, showError, toast, display, labelled, modal, latestOnly, panel, toLocalInput, fromLocalInput } from '../dom.js';
import { categorySelect, levelChip } from './incidents.js';

const PAGE = 50;
const STATUSES = ['draft', 'reported', 'handling', 'feedback', 'closed'];
const UNIT_TYPES = ['critical_infrastructure', 'party_government', 'network_operator'];
const LONG_FIELDS = ['impact', 'measures', 'preliminary_cause', 'investigation_leads', 'next_steps'];
const LINE_FIELDS = ['unit', 'affected_system', 'place', 'contact'];
const TICK_MS = 30_000;

/** "2 小时 13 分" left, or overdue by as much, from `deadline` (ISO) at `now` (ms). */
export function countdown(deadline, now = Date.now()) {
  const ms = new Date(deadline).getTime() - now;
  const total = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  let span;
  if (days) span = t('countdown.dh', { d: days, h: hours });
  else if (hours) span = t('countdown.hm', { h: hours, m: minutes });
  else span = t('countdown.m', { m: minutes });
  return ms < 0 ? t('countdown.over', { d: span }) : t('countdown.left', { d: span });
}

/** A countdown element that `tick(root)` refreshes; red once the deadline has passed. */
export function deadlineCell(deadline, running) {
  const el = h('span', { class: 'countdown', dataset: running ? { deadline } : {} });
  if (running) paint(el);
  else el.textContent = '—';
  return el;
}

function paint(el) {
  const deadline = el.dataset.deadline;
  el.textContent = countdown(deadline);
  el.classList.toggle('overdue', new Date(deadline).getTime() < Date.now());
}

/** Refresh every countdown under `root` every 30 s; returns the cleanup for the router. */
export function ticking(root) {
  const timer = setInterval(() => root.querySelectorAll('.countdown[data-deadline]').forEach(paint), TICK_MS);
  return () => clearInterval(timer);
}

export function reportStatusChip(status) {
  return h('span', { class: `chip rstatus rstatus-${status || 'none'}` }, status ? t(`rstatus.${status}`) : '—');
}

function overdueChip() {
  return h('span', { class: 'chip chip-danger' }, t('report.overdue'));
}

async function loadCatalogue(ctx) {
  if (!ctx.can('incidents:read')) return null;
  const [result] = await settle([api.get('/api/v1/incidents/catalogue')]);
  return result.ok ? result.value : null;
}

function categoryControl(catalogue, current, id) {
  return catalogue ? categorySelect(catalogue, current, { id }) : h('input', { id, type: 'text', value: current || '' });
}

function levelControl(catalogue, current, id) {
  const levels = (catalogue && catalogue.levels) || [{ code: 'I' }, { code: 'II' }, { code: 'III' }, { code: 'IV' }];
  return select({ id }, levels.map((l) => [l.code, l.label_zh ? `${l.code} ${l.label_zh}` : l.code]), current);
}

function unitTypeSelect(current, id, withDefault) {
  const options = UNIT_TYPES.map((u) => [u, t(`unitType.${u}`)]);
  return select({ id }, withDefault ? [['', t('report.unitTypeDefault')], ...options] : options, current || '');
}

function formError() {
  return h('div', { class: 'form-error', hidden: true });
}

function fail(error, err) {
  if (err.sessionExpired) return;
  error.textContent = err.detail || err.message;
  error.hidden = false;
}

function fromIncident(ctx) {
  const incident = h('input', { id: 'report-incident-id', type: 'number', min: 1, step: 1 });
  const error = formError();
  modal(t('reports.fromIncident'), h('div', { class: 'form-grid' }, labelled(t('report.incidentId'), incident), h('p', { class: 'form-hint' }, t('reports.fromIncidentHint')), error), [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.create'),
      primary: true,
      id: 'report-from-incident',
      onClick: async (close) => {
        const id = Number(incident.value);
        if (!Number.isInteger(id) || id < 1) return fail(error, { message: t('report.incidentRequired') });
        try {
          const made = await api.post(`/api/v1/incidents/${id}/report`, {});
          close();
          toast(t('report.created'));
          ctx.navigate(`#/reports/${encodeURIComponent(made.id)}`);
        } catch (err) {
          fail(error, err);
        }
      },
    },
  ]);
}

function newReport(ctx, catalogue) {
  const discovered = h('input', { id: 'report-new-discovered', type: 'datetime-local', value: toLocalInput(new Date()) });
  const category = categoryControl(catalogue, 'OI', 'report-new-category');
  const level = levelControl(catalogue, 'IV', 'report-new-level');
  const unitType = unitTypeSelect('', 'report-new-unit-type', true);
  const system = h('input', { id: 'report-new-system', type: 'text' });
  const impact = h('textarea', { id: 'report-new-impact', rows: 3 });
  const error = formError();
  const body = h('div', { class: 'form-grid two' }, labelled(t('report.discoveredAt'), discovered), labelled(t('report.unitType'), unitType), labelled(t('report.category'), category), labelled(t('report.level'), level), labelled(t('report.affectedSystem'), system, 'wide'), labelled(t('report.impact'), impact, 'wide'), error);
  modal(t('reports.new'), body, [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.create'),
      primary: true,
      id: 'report-create',
      onClick: async (close) => {
        const when = fromLocalInput(discovered.value);
        if (!when) return fail(error, { message: t('report.discoveredRequired') });
        const payload = { discovered_at: when, category: category.value.trim(), level: level.value };
        if (unitType.value) payload.unit_type = unitType.value;
        if (system.value.trim()) payload.affected_system = system.value.trim();
        if (impact.value.trim()) payload.impact = impact.value.trim();
        try {
          const made = await api.post('/api/v1/reports', payload);
          close();
          toast(t('report.created'));
          ctx.navigate(`#/reports/${encodeURIComponent(made.id)}`);
        } catch (err) {
          fail(error, err);
        }
      },
    },
  ]);
}

async function renderList(root, ctx) {
  const f = { status: STATUSES.includes(ctx.query.status) ? ctx.query.status : '', overdue: ctx.query.overdue === 'true', offset: Math.max(0, Number(ctx.query.offset) || 0) };
  const canManage = ctx.can('reports:manage');
  const catalogue = canManage ? await loadCatalogue(ctx) : null;
  const statusSel = select({ id: 'report-filter-status' }, [['', t('common.all')], ...STATUSES.map((s) => [s, t(`rstatus.${s}`)])], f.status);
  const overdueBox = h('input', { type: 'checkbox', id: 'report-filter-overdue', checked: f.overdue });
  statusSel.addEventListener('change', () => {
    f.status = statusSel.value;
    f.offset = 0;
    load();
  });
  overdueBox.addEventListener('change', () => {
    f.overdue = overdueBox.checked;
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
      h('label', { class: 'tb-field' }, h('span', {}, t('report.status')), statusSel),
      h('label', { class: 'switch' }, overdueBox, h('span', {}, t('reports.onlyOverdue'))),
      h('span', { class: 'grow' }),
      canManage ? h('button', { class: 'btn', id: 'report-new-from-incident', onClick: () => fromIncident(ctx) }, t('reports.fromIncident')) : null,
      canManage ? h('button', { class: 'btn btn-primary', id: 'report-new', onClick: () => newReport(ctx, catalogue) }, `+ ${t('reports.new')}`) : null,
    ),
    h('div', { class: 'card flush' }, body, foot),
  );

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ status: f.status, overdue: f.overdue ? 'true' : '', offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/reports', { status: f.status, overdue: f.overdue ? 'true' : '', limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) {
        replace(body, emptyState(t('reports.empty'), t('reports.emptyHint')));
      } else {
        replace(
          body,
          h(
            'table',
            { class: 'table', id: 'reports-table' },
            h('thead', {}, h('tr', {}, ['report.id', 'report.affectedSystem', 'report.category', 'report.level', 'report.status', 'report.discoveredAt', 'report.deadline', 'report.remaining'].map((k) => h('th', {}, t(k))))),
            h(
              'tbody',
              {},
              items.map((r) =>
                h(
                  'tr',
                  { 'data-report-id': r.id, class: ['clickable', r.overdue ? 'row-danger' : ''], onClick: () => ctx.navigate(`#/reports/${encodeURIComponent(r.id)}`) },
                  h('td', { class: 'mono' }, display(r.id)),
                  h('td', { class: 'strong' }, display(r.affected_system || (r.incident_id ? t('report.incidentLink', { id: r.incident_id }) : r.unit))),
                  h('td', {}, h('span', { class: 'mono muted' }, `${display(r.category)} `), r.category_label || ''),
                  h('td', {}, levelChip(r.level, r.level_label)),
                  h('td', {}, reportStatusChip(r.status), r.overdue ? overdueChip() : null),
                  h('td', { class: 'nowrap' }, fmtTime(r.discovered_at)),
                  h('td', { class: ['nowrap', r.overdue ? 'text-danger' : ''] }, fmtTime(r.deadline_at)),
                  h('td', { class: 'nowrap' }, r.status === 'draft' ? deadlineCell(r.deadline_at, true) : h('span', { class: 'muted' }, t('report.reportedAtShort', { time: fmtTime(r.reported_at) }))),
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

async function renderDetail(root, ctx) {
  const id = ctx.params[0];
  const [reportResult, catalogue] = await Promise.all([settle([api.get(`/api/v1/reports/${encodeURIComponent(id)}`)]), loadCatalogue(ctx)]);
  if (!reportResult[0].ok) throw reportResult[0].error;
  const r = reportResult[0].value;
  ctx.setSubtitle(`#${r.id}`);
  const reload = () => ctx.isCurrent() && renderDetail(root, ctx);
  const editable = ctx.can('reports:manage') && r.status !== 'closed';

  const controls = {
    unit: h('input', { id: 'report-edit-unit', type: 'text', value: r.unit || '' }),
    unit_type: unitTypeSelect(r.unit_type, 'report-edit-unit-type', false),
    discovered_at: h('input', { id: 'report-edit-discovered', type: 'datetime-local', value: toLocalInput(new Date(r.discovered_at)) }),
    category: categoryControl(catalogue, r.category, 'report-edit-category'),
    level: levelControl(catalogue, r.level, 'report-edit-level'),
    affected_system: h('input', { id: 'report-edit-affected-system', type: 'text', value: r.affected_system || '' }),
    place: h('input', { id: 'report-edit-place', type: 'text', value: r.place || '' }),
    contact: h('input', { id: 'report-edit-contact', type: 'text', value: r.contact || '' }),
  };
  for (const name of LONG_FIELDS) controls[name] = h('textarea', { id: `report-edit-${name.replace(/_/g, '-')}`, rows: 3 }, r[name] || '');
  const initialDiscovered = controls.discovered_at.value;
  if (!editable) for (const el of Object.values(controls)) el.disabled = true;

  const save = h('button', { class: 'btn btn-primary', id: 'report-save' }, t('common.save'));
  save.addEventListener('click', async () => {
    const changes = {};
    for (const name of [...LINE_FIELDS, ...LONG_FIELDS]) {
      const value = controls[name].value.trim();
      if (value !== (r[name] || '')) changes[name] = value || (name === 'unit' ? value : null);
    }
    for (const name of ['unit_type', 'category', 'level']) if (controls[name].value !== r[name]) changes[name] = controls[name].value;
    if (controls.discovered_at.value !== initialDiscovered) changes.discovered_at = fromLocalInput(controls.discovered_at.value);
    if (!Object.keys(changes).length) {
      toast(t('alert.nothingChanged'), 'info');
      return;
    }
    save.disabled = true;
    try {
      await api.patch(`/api/v1/reports/${encodeURIComponent(r.id)}`, changes);
      toast(t('common.saved'));
      await reload();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    } finally {
      save.disabled = false;
    }
  });

  const moves = ctx.can('reports:manage')
    ? (r.next_statuses || []).map((next) =>
        h(
          'button',
          {
            class: ['btn', next === 'reported' ? 'btn-primary' : ''],
            id: `report-to-${next}`,
            onClick: async (e) => {
              const button = e.currentTarget;
              button.disabled = true;
              try {
                await api.post(`/api/v1/reports/${encodeURIComponent(r.id)}/status`, { status: next });
                toast(t('report.moved', { status: t(`rstatus.${next}`) }));
                await reload();
              } catch (err) {
                button.disabled = false;
                if (!err.sessionExpired) showError(err);
              }
            },
          },
          t(`report.to.${next}`),
        ),
      )
    : [];
  const exportUrl = (format) => `/api/v1/reports/${encodeURIComponent(r.id)}/export?format=${format}`;
  const downloads = h(
    'div',
    { class: 'detail-links' },
    h('a', { class: 'btn btn-sm', id: 'report-download-pdf', href: exportUrl('pdf'), download: '' }, t('report.downloadPdf')),
    h('a', { class: 'btn btn-sm', id: 'report-download-docx', href: exportUrl('docx'), download: '' }, t('report.downloadDocx')),
  );
  const clock = h(
    'div',
    { class: 'report-clock' },
    h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, t('report.deadline')), h('div', { class: ['kv-v', r.overdue ? 'text-danger' : ''] }, fmtTime(r.deadline_at))),
    h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, t('report.remaining')), h('div', { class: 'kv-v' }, deadlineCell(r.deadline_at, r.status === 'draft'))),
    h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, t('report.reportedAt')), h('div', { class: 'kv-v' }, fmtTime(r.reported_at))),
    h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, t('report.createdBy')), h('div', { class: 'kv-v' }, `${display(r.created_by)} · ${fmtTime(r.created_at)}`)),
  );
  const incidentLink = r.incident_id
    ? ctx.can('incidents:read')
      ? h('a', { href: `#/incidents/${encodeURIComponent(r.incident_id)}`, id: 'report-incident-link' }, t('report.incidentLink', { id: r.incident_id }))
      : h('span', { class: 'muted' }, t('report.incidentLink', { id: r.incident_id }))
    : null;

  replace(
    root,
    h(
      'div',
      { class: 'detail-head' },
      h('a', { href: '#/reports', class: 'back' }, `← ${t('report.back')}`),
      h('div', { class: 'detail-title' }, levelChip(r.level, r.level_label), h('h2', {}, t('report.title', { id: r.id })), reportStatusChip(r.status), r.overdue ? overdueChip() : null, incidentLink),
      h('div', { class: 'detail-meta muted' }, `${t('report.unit')} ${display(r.unit)} · ${t(`unitType.${r.unit_type}`, {}, r.unit_type_zh)}`),
    ),
    h(
      'div',
      { class: 'detail-grid' },
      h(
        'div',
        { class: 'detail-main' },
        panel(
          t('report.form'),
          h(
            'div',
            { class: 'form-grid two' },
            labelled(t('report.unit'), controls.unit),
            labelled(t('report.unitType'), controls.unit_type),
            labelled(t('report.affectedSystem'), controls.affected_system),
            labelled(t('report.discoveredAt'), controls.discovered_at),
            labelled(t('report.place'), controls.place),
            labelled(t('report.contact'), controls.contact),
            labelled(t('report.category'), controls.category),
            labelled(t('report.level'), controls.level),
            ...LONG_FIELDS.map((name) => labelled(t(`report.field.${name}`), controls[name], 'wide')),
            h('div', { class: 'wide form-actions' }, editable ? save : h('p', { class: 'form-hint' }, r.status === 'closed' ? t('report.closedHint') : t('report.readOnly'))),
          ),
        ),
      ),
      h(
        'aside',
        { class: 'detail-side' },
        panel(t('report.clock'), clock),
        moves.length ? panel(t('report.moves'), h('div', { class: 'detail-links', id: 'report-moves' }, moves)) : null,
        panel(t('report.downloads'), downloads),
      ),
    ),
  );
}

export async function render(root, ctx) {
  root.replaceChildren(loading());
  const stop = ticking(root); // one timer for the page, however often the detail reloads
  try {
    await (ctx.params.length ? renderDetail(root, ctx) : renderList(root, ctx));
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
