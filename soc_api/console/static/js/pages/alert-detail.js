// Alert detail: the 等保 four (source, attack type, target, time), classification, linked
// events, comments, and the triage panel that saves every change in one PATCH.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { categorySelect } from './incidents.js';
import { h, replace, fmtTime, fmtNum, sevChip, statusChip, demoTag, emptyState, loading, select, showError, toast, display, field, jsonBlock, labelled, modal, panel, safeLink } from '../dom.js';

const DISPOSITIONS = ['true_positive', 'false_positive', 'benign'];

function kv(label, value, cls) {
  return h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, label), h('div', { class: ['kv-v', cls] }, value));
}

function endpoint(ev, side) {
  const ip = field(ev, `${side}.ip`);
  const port = field(ev, `${side}.port`);
  if (!ip) return '—';
  return port ? `${ip}:${port}` : String(ip);
}

function eventItem(ev, index) {
  const details = h('details', { class: 'event-json' }, h('summary', {}, t('alert.fullJson')), jsonBlock(ev));
  return h(
    'li',
    { class: 'event-item', 'data-index': index },
    h(
      'div',
      { class: 'event-keys' },
      h('span', { class: 'nowrap' }, fmtTime(field(ev, '@timestamp'))),
      h('span', { class: 'chip chip-plain' }, display(field(ev, 'event.dataset'))),
      h('span', { class: 'mono' }, endpoint(ev, 'source'), ' → ', endpoint(ev, 'destination')),
      h('span', {}, display(field(ev, 'event.action'))),
    ),
    field(ev, 'message') ? h('div', { class: 'event-message' }, display(field(ev, 'message'))) : null,
    details,
  );
}

function commentItem(c) {
  return h(
    'li',
    { class: 'comment', 'data-comment-id': c.id },
    h('div', { class: 'comment-head' }, h('strong', {}, display(c.author)), h('span', { class: 'muted' }, fmtTime(c.created_at))),
    h('div', { class: 'comment-text' }, display(c.text)),
  );
}

async function openIncident(alert, ctx) {
  let catalogue;
  try {
    catalogue = await api.get('/api/v1/incidents/catalogue');
  } catch (err) {
    if (!err.sessionExpired) showError(err);
    return;
  }
  const title = h('input', { id: 'incident-title', type: 'text', value: `${alert.rule_name || alert.rule_id}${alert.source_ip ? ` · ${alert.source_ip}` : ''}` });
  const category = categorySelect(catalogue, alert.gb20986_category || 'OI', { id: 'incident-category' });
  const levels = catalogue.levels || [];
  const level = select({ id: 'incident-level' }, levels.map((l) => [l.code, `${l.code} ${l.label_zh}`]), levels.length ? levels[levels.length - 1].code : '');
  const description = h('textarea', { id: 'incident-description', rows: 3 }, alert.description || '');
  const error = h('div', { class: 'form-error', hidden: true });
  const body = h('div', { class: 'form-grid' }, labelled(t('incident.title'), title), labelled(t('incident.category'), category), labelled(t('incident.level'), level), labelled(t('incident.description'), description), error);
  modal(t('alert.openIncident'), body, [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.create'),
      primary: true,
      id: 'incident-create',
      onClick: async (close) => {
        try {
          const created = await api.post('/api/v1/incidents', {
            title: title.value.trim(),
            category: category.value,
            level: level.value,
            description: description.value,
            alert_ids: [alert.id],
          });
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
  const id = ctx.params[0];
  root.replaceChildren(loading());
  const canTriage = ctx.can('alerts:triage');
  const [alertResult, assignableResult] = await settle([
    api.get(`/api/v1/alerts/${encodeURIComponent(id)}`),
    canTriage && ctx.can('assignees:read') ? api.get('/api/v1/users/assignable') : Promise.resolve({ items: [] }),
  ]);
  if (!alertResult.ok) throw alertResult.error;
  const alert = alertResult.value;
  const assignable = assignableResult.ok ? assignableResult.value.items || [] : [];
  ctx.markDemo([alert]);
  ctx.markDemo(alert.events || []);
  ctx.setSubtitle(`#${alert.id}`);

  // -- summary ----------------------------------------------------------------------------
  const head = h(
    'div',
    { class: 'detail-head' },
    h('a', { href: '#/alerts', class: 'back' }, `← ${t('alert.back')}`),
    h('div', { class: 'detail-title' }, sevChip(alert.severity), h('h2', {}, display(alert.rule_name || alert.rule_id)), statusChip(alert.status), alert.demo ? demoTag() : null),
    h(
      'div',
      { class: 'detail-links' },
      h('button', { class: 'btn', id: 'alert-similar', onClick: () => loadSimilar() }, t('alert.similar')),
      ctx.can('incidents:manage') ? h('button', { class: 'btn btn-primary', id: 'alert-open-incident', onClick: () => openIncident(alert, ctx) }, t('alert.openIncident')) : null,
      alert.source_ip && ctx.can('events:read') ? h('a', { class: 'btn', href: `#/search?q=${encodeURIComponent(`source.ip:"${alert.source_ip}"`)}` }, t('alert.pivotSearch')) : null,
      alert.source_ip && ctx.can('graph:read') ? h('a', { class: 'btn', href: `#/map?ip=${encodeURIComponent(alert.source_ip)}` }, t('alert.pivotMap')) : null,
    ),
  );

  const four = h(
    'div',
    { class: 'four' },
    h('div', { class: 'four-item' }, h('div', { class: 'four-k' }, t('alert.sourceIp')), h('div', { class: 'four-v mono' }, display(alert.source_ip))),
    h('div', { class: 'four-item' }, h('div', { class: 'four-k' }, t('alert.attackType')), h('div', { class: 'four-v' }, display(alert.attack_type))),
    h('div', { class: 'four-item' }, h('div', { class: 'four-k' }, t('alert.target')), h('div', { class: 'four-v mono' }, display(alert.target || alert.destination_ip))),
    h('div', { class: 'four-item' }, h('div', { class: 'four-k' }, t('alert.time')), h('div', { class: 'four-v' }, fmtTime(alert.timestamp))),
  );

  const techniques = (alert.techniques || []).length
    ? (alert.techniques || []).map((tech) => h('span', { class: 'chip chip-tech' }, typeof tech === 'string' ? tech : display(tech.id || tech)))
    : h('span', { class: 'muted' }, '—');

  const info = h(
    'div',
    { class: 'kv-grid' },
    kv(t('alert.rule'), h('span', {}, display(alert.rule_name), h('span', { class: 'muted mono' }, ` ${display(alert.rule_id)}`))),
    kv(t('alert.severity'), sevChip(alert.severity)),
    kv(t('alert.gb20986'), alert.gb20986_category ? `${alert.gb20986_category} ${alert.gb20986_name || ''}` : '—'),
    kv(t('alert.techniques'), techniques),
    kv(t('alert.destinationIp'), display(alert.destination_ip), 'mono'),
    kv(t('alert.count'), fmtNum(alert.count)),
    kv(t('alert.firstSeen'), fmtTime(alert.timestamp)),
    kv(t('alert.lastSeen'), fmtTime(alert.last_seen)),
    kv(t('alert.assignee'), display(alert.assignee)),
    kv(t('alert.disposition'), alert.disposition ? t(`disp.${alert.disposition}`) : '—'),
    kv(t('alert.tags'), (alert.tags || []).length ? alert.tags.map((tag) => h('span', { class: 'chip chip-plain' }, tag)) : '—'),
    kv(t('alert.rulePath'), display(alert.rule_path), 'mono small'),
    // A relative URL names a path on the attacked server, not on this console: shown, not linked.
    alert.url ? kv(t('alert.url'), /^https?:\/\//i.test(alert.url) ? safeLink(alert.url) : h('span', { class: 'mono small' }, alert.url)) : null,
    alert.description ? kv(t('alert.description'), display(alert.description), 'wide') : null,
  );

  const events = alert.events || [];
  const eventsBody = events.length ? h('ol', { class: 'event-list', id: 'alert-events' }, events.map(eventItem)) : emptyState(t('alert.noEvents'));
  const similarBox = h('div', { id: 'similar-box' });

  const comments = alert.comments || [];
  const commentList = h('ul', { id: 'alert-comments', class: 'comment-list' }, comments.map(commentItem));
  const commentsBody = h('div', {}, commentList, comments.length ? null : h('p', { class: 'muted' }, t('alert.noComments')));

  // -- triage panel -----------------------------------------------------------------------
  const people = [['', t('alerts.unassigned')]];
  const seen = new Set(['']);
  const addPerson = (username, label) => {
    if (!username || seen.has(username)) return;
    seen.add(username);
    people.push([username, label]);
  };
  addPerson(ctx.me.username, `${ctx.me.display_name || ctx.me.username} (${t('alerts.me')})`);
  for (const u of assignable) addPerson(u.username, u.display_name ? `${u.display_name} (${u.username})` : u.username);
  addPerson(alert.assignee, alert.assignee);
  const assignee = select({ id: 'alert-assignee' }, people, alert.assignee || '');
  const status = select({ id: 'alert-status' }, ['new', 'in_progress', 'closed'].map((st) => [st, t(`status.${st}`)]), alert.status);
  const disposition = select({ id: 'alert-disposition' }, [['', t('alert.noDisposition')], ...DISPOSITIONS.map((d) => [d, t(`disp.${d}`)])], alert.disposition || '');
  const comment = h('textarea', { id: 'alert-comment', rows: 4, placeholder: t('alert.commentPh') });
  const hint = h('div', { class: 'form-hint', id: 'alert-save-hint' });
  const save = h('button', { class: 'btn btn-primary btn-block', id: 'alert-save' }, t('common.save'));
  const updateHint = () => {
    hint.textContent = status.value === 'closed' && !disposition.value ? t('alert.closeNeedsDisposition') : '';
  };
  status.addEventListener('change', updateHint);
  disposition.addEventListener('change', updateHint);
  save.addEventListener('click', async () => {
    const changes = {};
    if (assignee.value !== (alert.assignee || '')) changes.assignee = assignee.value || null;
    if (status.value !== alert.status) changes.status = status.value;
    if (disposition.value && disposition.value !== (alert.disposition || '')) changes.disposition = disposition.value;
    if (comment.value.trim()) changes.comment = comment.value.trim();
    if (!Object.keys(changes).length) {
      toast(t('alert.nothingChanged'), 'info');
      return;
    }
    save.disabled = true;
    try {
      await api.patch(`/api/v1/alerts/${encodeURIComponent(alert.id)}`, changes);
      toast(t('common.saved'));
      if (ctx.isCurrent()) await render(root, ctx);
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    } finally {
      save.disabled = false;
    }
  });
  // Roles that only read alerts get the current triage state instead of controls they cannot use.
  const actionPanel = canTriage
    ? h('div', { class: 'action-panel', id: 'alert-actions' }, labelled(t('alert.assignee'), assignee), labelled(t('alert.status'), status), labelled(t('alert.disposition'), disposition), labelled(t('alert.comment'), comment), hint, save)
    : h(
        'div',
        { class: 'action-panel read-only', id: 'alert-triage-state' },
        kv(t('alert.assignee'), display(alert.assignee)),
        kv(t('alert.status'), statusChip(alert.status)),
        kv(t('alert.disposition'), alert.disposition ? t(`disp.${alert.disposition}`) : '—'),
        h('p', { class: 'form-hint' }, t('alert.readOnly')),
      );

  async function loadSimilar() {
    similarBox.replaceChildren(loading());
    try {
      const data = await api.get(`/api/v1/alerts/${encodeURIComponent(alert.id)}/similar`);
      const items = (data.items || []).filter((a) => String(a.id) !== String(alert.id));
      if (!items.length) {
        similarBox.replaceChildren(panel(t('alert.similar'), emptyState(t('alert.noSimilar'))));
        return;
      }
      const table = h(
        'table',
        { class: 'table', id: 'similar-table' },
        h('thead', {}, h('tr', {}, ['alerts.severity', 'alerts.rule', 'alerts.sourceIp', 'alerts.target', 'alerts.count', 'alerts.status', 'alerts.lastSeen'].map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          items.map((a) =>
            h(
              'tr',
              { 'data-alert-id': a.id, class: 'clickable', onClick: () => ctx.navigate(`#/alerts/${encodeURIComponent(a.id)}`) },
              h('td', {}, sevChip(a.severity)),
              h('td', {}, display(a.rule_name)),
              h('td', { class: 'mono' }, display(a.source_ip)),
              h('td', { class: 'mono' }, display(a.target || a.destination_ip)),
              h('td', { class: 'num' }, fmtNum(a.count)),
              h('td', {}, statusChip(a.status)),
              h('td', { class: 'nowrap' }, fmtTime(a.last_seen)),
            ),
          ),
        ),
      );
      const listLink = h('a', { href: `#/alerts?${new URLSearchParams({ rule_id: alert.rule_id || '', source_ip: alert.source_ip || '' })}`, id: 'similar-list-link' }, t('alert.similarInList'));
      similarBox.replaceChildren(panel(`${t('alert.similar')} (${items.length})`, h('div', { class: 'table-wrap' }, table), listLink));
      similarBox.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    } catch (err) {
      if (err.sessionExpired) return;
      showError(err);
      similarBox.replaceChildren();
    }
  }

  replace(
    root,
    head,
    h(
      'div',
      { class: 'detail-grid' },
      h(
        'div',
        { class: 'detail-main' },
        panel(t('alert.summary'), h('div', {}, four, info)),
        similarBox,
        h(
          'details',
          { class: 'panel collapsible', open: true, id: 'alert-events-panel' },
          h('summary', { class: 'panel-head' }, h('h3', {}, `${t('alert.events')} (${events.length})`)),
          h('div', { class: 'panel-body' }, eventsBody),
        ),
        panel(`${t('alert.comments')} (${comments.length})`, commentsBody),
      ),
      h('aside', { class: 'detail-side' }, panel(t('alert.actions'), actionPanel)),
    ),
  );
  updateHint();
}
