// Incident detail: grading, status and owner, the three write-ups (cause, handling, lessons),
// linked alerts, timeline and evidence.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, emptyState, loading, select, showError, toast, display, labelled, panel } from '../dom.js';
import { catalogueLabels, categorySelect, levelChip, incidentStatusChip } from './incidents.js';

const EVIDENCE_KINDS = ['event', 'alert', 'pcap', 'file'];
const TEXT_FIELDS = ['description', 'cause_analysis', 'handling_record', 'lessons_learned'];

export async function render(root, ctx) {
  const id = ctx.params[0];
  const canManage = ctx.can('incidents:manage');
  root.replaceChildren(loading());
  const [incidentResult, catalogueResult, assignableResult] = await settle([
    api.get(`/api/v1/incidents/${encodeURIComponent(id)}`),
    api.get('/api/v1/incidents/catalogue'),
    canManage && ctx.can('assignees:read') ? api.get('/api/v1/users/assignable') : Promise.resolve({ items: [] }),
  ]);
  if (!incidentResult.ok) throw incidentResult.error;
  const inc = incidentResult.value;
  const catalogue = catalogueResult.ok ? catalogueResult.value : { categories: [], levels: [], statuses: ['open', 'contained', 'resolved', 'closed'] };
  const labels = catalogueLabels(catalogue);
  const assignable = assignableResult.ok ? assignableResult.value.items || [] : [];
  ctx.setSubtitle(`#${inc.id}`);
  const reload = () => ctx.isCurrent() && render(root, ctx);

  // -- editable header fields -----------------------------------------------------------
  const title = h('input', { id: 'incident-edit-title', type: 'text', value: inc.title || '', class: 'title-input' });
  const category = categorySelect(catalogue, inc.category, { id: 'incident-edit-category' });
  const levels = catalogue.levels || [];
  const level = select({ id: 'incident-edit-level' }, levels.length ? levels.map((l) => [l.code, `${l.code} ${l.label_zh}`]) : [[inc.level, inc.level]], inc.level);
  const statuses = catalogue.statuses || ['open', 'contained', 'resolved', 'closed'];
  const status = select({ id: 'incident-edit-status' }, statuses.map((st) => [st, t(`istatus.${st}`)]), inc.status);
  const owners = [['', t('incident.noOwner')]];
  const seen = new Set(['']);
  for (const [u, label] of [[ctx.me.username, `${ctx.me.display_name || ctx.me.username} (${t('alerts.me')})`], ...assignable.map((a) => [a.username, a.display_name ? `${a.display_name} (${a.username})` : a.username]), [inc.owner, inc.owner]]) {
    if (u && !seen.has(u)) {
      seen.add(u);
      owners.push([u, label]);
    }
  }
  const owner = select({ id: 'incident-edit-owner' }, owners, inc.owner || '');
  const texts = Object.fromEntries(TEXT_FIELDS.map((name) => [name, h('textarea', { id: `incident-edit-${name.replace(/_/g, '-')}`, rows: name === 'description' ? 3 : 5 }, inc[name] || '')]));
  // Roles that only read incidents see the record with its controls disabled and no write buttons.
  if (!canManage) for (const el of [title, category, level, status, owner, ...Object.values(texts)]) el.disabled = true;

  const save = h('button', { class: 'btn btn-primary', id: 'incident-save' }, t('common.save'));
  save.addEventListener('click', async () => {
    const changes = {};
    if (title.value.trim() !== (inc.title || '')) changes.title = title.value.trim();
    if (category.value !== inc.category) changes.category = category.value;
    if (level.value !== inc.level) changes.level = level.value;
    if (status.value !== inc.status) changes.status = status.value;
    if (owner.value !== (inc.owner || '')) changes.owner = owner.value || null;
    for (const name of TEXT_FIELDS) if (texts[name].value !== (inc[name] || '')) changes[name] = texts[name].value;
    if (!Object.keys(changes).length) {
      toast(t('alert.nothingChanged'), 'info');
      return;
    }
    save.disabled = true;
    try {
      await api.patch(`/api/v1/incidents/${encodeURIComponent(inc.id)}`, changes);
      toast(t('common.saved'));
      await reload();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    } finally {
      save.disabled = false;
    }
  });

  // -- timeline ------------------------------------------------------------------------
  const timeline = inc.timeline || [];
  const timelineText = h('textarea', { id: 'timeline-text', rows: 2, placeholder: t('incident.timelinePh') });
  const timelineAdd = h('button', { class: 'btn', id: 'timeline-add' }, t('incident.addEntry'));
  timelineAdd.addEventListener('click', async () => {
    if (!timelineText.value.trim()) return;
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(inc.id)}/timeline`, { text: timelineText.value.trim() });
      toast(t('common.saved'));
      await reload();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  });
  const timelineBody = h(
    'div',
    {},
    timeline.length
      ? h(
          'ol',
          { class: 'timeline', id: 'incident-timeline' },
          timeline.map((e) =>
            h(
              'li',
              { class: `timeline-item kind-${e.kind || 'note'}` },
              h('div', { class: 'timeline-head' }, h('span', { class: 'nowrap' }, fmtTime(e.at)), h('strong', {}, display(e.author)), e.kind ? h('span', { class: 'chip chip-plain' }, t(`timeline.${e.kind}`, {}, e.kind)) : null),
              h('div', { class: 'timeline-text' }, display(e.text)),
            ),
          ),
        )
      : emptyState(t('incident.noTimeline')),
    canManage ? h('div', { class: 'inline-form' }, timelineText, timelineAdd) : null,
  );

  // -- evidence ------------------------------------------------------------------------
  const evidence = inc.evidence || [];
  const evKind = select({ id: 'evidence-kind' }, EVIDENCE_KINDS.map((k) => [k, t(`evidence.${k}`)]), 'event');
  const evRef = h('input', { id: 'evidence-ref', type: 'text', placeholder: t('incident.evidenceRefPh') });
  const evNote = h('input', { id: 'evidence-note', type: 'text', placeholder: t('incident.evidenceNotePh') });
  const evAdd = h('button', { class: 'btn', id: 'evidence-add' }, t('incident.addEvidence'));
  evAdd.addEventListener('click', async () => {
    if (!evRef.value.trim()) return;
    const body = { kind: evKind.value, ref: evRef.value.trim() };
    if (evNote.value.trim()) body.note = evNote.value.trim();
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(inc.id)}/evidence`, body);
      toast(t('common.saved'));
      await reload();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  });
  // A capture or file from the analyst's machine: stored by its SHA-256 on the platform.
  const evFile = h('input', { id: 'evidence-file', type: 'file' });
  const evUpload = h('button', { class: 'btn', id: 'evidence-upload' }, t('incident.uploadEvidence'));
  evUpload.addEventListener('click', async () => {
    const file = evFile.files && evFile.files[0];
    if (!file) return;
    const params = { kind: /\.(pcap|pcapng|cap)$/i.test(file.name) ? 'pcap' : 'file' };
    if (evNote.value.trim()) params.note = evNote.value.trim();
    try {
      await api.upload(`/api/v1/incidents/${encodeURIComponent(inc.id)}/evidence/upload`, file, params);
      toast(t('common.saved'));
      await reload();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  });
  const refCell = (e) => {
    if (e.download) return h('a', { href: e.download, class: 'mono', download: '' }, display(e.ref.split('/').slice(3).join('/')));
    if (e.kind === 'alert') return h('a', { href: `#/alerts/${encodeURIComponent(e.ref)}`, class: 'mono' }, display(e.ref));
    if (e.kind === 'event' && ctx.can('events:read')) return h('a', { href: `#/search?q=${encodeURIComponent(`event.id:"${e.ref}"`)}`, class: 'mono' }, display(e.ref));
    return h('span', { class: 'mono' }, display(e.ref));
  };
  const evidenceBody = h(
    'div',
    {},
    evidence.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table', id: 'incident-evidence' },
            h('thead', {}, h('tr', {}, ['evidence.kindCol', 'evidence.ref', 'evidence.note', 'evidence.addedBy', 'evidence.addedAt', 'evidence.sha256'].map((k) => h('th', {}, t(k))))),
            h(
              'tbody',
              {},
              evidence.map((e) =>
                h(
                  'tr',
                  { 'data-evidence-id': e.id },
                  h('td', {}, h('span', { class: 'chip chip-plain' }, t(`evidence.${e.kind}`))),
                  h('td', {}, refCell(e)),
                  h('td', {}, display(e.note)),
                  h('td', {}, display(e.added_by)),
                  h('td', { class: 'nowrap' }, fmtTime(e.added_at)),
                  h('td', { class: 'mono small', title: e.sha256 || '' }, e.sha256 ? `${e.sha256.slice(0, 16)}…` : '—'),
                ),
              ),
            ),
          ),
        )
      : emptyState(t('incident.noEvidence')),
    canManage ? h('div', { class: 'inline-form' }, evKind, evRef, evNote, evAdd) : null,
    canManage ? h('div', { class: 'inline-form' }, evFile, evUpload) : null,
  );

  const alertIds = inc.alert_ids || [];
  const alertsBody = alertIds.length
    ? h('div', { class: 'chip-row', id: 'incident-alerts' }, alertIds.map((a) => h('a', { class: 'chip chip-link mono', href: `#/alerts/${encodeURIComponent(a)}` }, `#${a}`)))
    : h('p', { class: 'muted' }, t('incident.noAlerts'));

  replace(
    root,
    h(
      'div',
      { class: 'detail-head' },
      h('a', { href: '#/incidents', class: 'back' }, `← ${t('incident.back')}`),
      h(
        'div',
        { class: 'detail-title' },
        levelChip(inc.level, inc.level_label || labels.levels[inc.level]),
        h('h2', {}, display(inc.title)),
        incidentStatusChip(inc.status),
        h('span', { class: 'muted' }, `${display(inc.category)} ${inc.category_label || labels.categories[inc.category] || ''}`),
      ),
      h('div', { class: 'detail-meta muted' }, `${t('incident.createdAt')} ${fmtTime(inc.created_at)} · ${t('incident.updatedAt')} ${fmtTime(inc.updated_at)}`),
    ),
    h(
      'div',
      { class: 'detail-grid' },
      h(
        'div',
        { class: 'detail-main' },
        panel(
          t('incident.record'),
          h(
            'div',
            { class: 'form-grid two' },
            labelled(t('incident.title'), title, 'wide'),
            labelled(t('incident.category'), category),
            labelled(t('incident.level'), level),
            labelled(t('incident.status'), status),
            labelled(t('incident.owner'), owner),
            labelled(t('incident.description'), texts.description, 'wide'),
            labelled(t('incident.cause'), texts.cause_analysis, 'wide'),
            labelled(t('incident.handling'), texts.handling_record, 'wide'),
            labelled(t('incident.lessons'), texts.lessons_learned, 'wide'),
            h('div', { class: 'wide form-actions' }, canManage ? save : h('p', { class: 'form-hint' }, t('incident.readOnly'))),
          ),
        ),
        panel(`${t('incident.timeline')} (${timeline.length})`, timelineBody),
        panel(`${t('incident.evidence')} (${evidence.length})`, evidenceBody),
      ),
      h('aside', { class: 'detail-side' }, panel(`${t('incident.linkedAlerts')} (${alertIds.length})`, alertsBody)),
    ),
  );
}
