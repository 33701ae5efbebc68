// Alert queue: filters, sortable columns, pagination, bulk triage, and the "similar alerts"
// grouping view.
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, sevChip, statusChip, demoTag, emptyState, loading, inlineError, pager, select, showError, toast, display, latestOnly } from '../dom.js';

const PAGE = 50;
const SORTABLE = ['last_seen', 'severity', 'count'];

function filtersFrom(query) {
  return {
    status: query.status || '',
    severity_min: query.severity_min || '',
    assignee: query.assignee || '',
    source_ip: query.source_ip || '',
    q: query.q || '',
    rule_id: query.rule_id || '',
    sort: SORTABLE.includes(query.sort) ? query.sort : 'last_seen',
    order: query.order === 'asc' ? 'asc' : 'desc',
    offset: Math.max(0, Number(query.offset) || 0),
    view: query.view === 'groups' ? 'groups' : 'list',
  };
}

export async function render(root, ctx) {
  const f = filtersFrom(ctx.query);
  const selected = new Set();
  let assignable = [];

  const canTriage = ctx.can('alerts:triage');
  if (ctx.can('assignees:read')) {
    const [assignableResult] = await settle([api.get('/api/v1/users/assignable')]);
    if (assignableResult.ok) assignable = assignableResult.value.items || [];
  }

  const assigneeOptions = () => {
    const seen = new Set();
    const opts = [];
    const add = (username, label) => {
      if (!username || seen.has(username)) return;
      seen.add(username);
      opts.push([username, label]);
    };
    add(ctx.me.username, `${ctx.me.display_name || ctx.me.username} (${t('alerts.me')})`);
    for (const u of assignable) add(u.username, u.display_name ? `${u.display_name} (${u.username})` : u.username);
    return opts;
  };

  // -- filter bar -------------------------------------------------------------------------
  const statusSel = select({ id: 'filter-status' }, [['', t('common.all')], ['new', t('status.new')], ['in_progress', t('status.in_progress')], ['closed', t('status.closed')]], f.status);
  const sevSel = select({ id: 'filter-severity' }, [['', t('common.all')], ...[2, 3, 4, 5].map((n) => [String(n), `≥ ${t(`sev.${n}`)}`])], f.severity_min);
  const assigneeSel = select({ id: 'filter-assignee' }, [['', t('common.all')], ['none', t('alerts.unassigned')], ...assigneeOptions()], f.assignee);
  const ipInput = h('input', { id: 'filter-source-ip', type: 'text', placeholder: t('alerts.sourceIpPh'), value: f.source_ip, class: 'mono' });
  const textInput = h('input', { id: 'filter-text', type: 'search', placeholder: t('alerts.textPh'), value: f.q });
  const groupsToggle = h('input', { type: 'checkbox', id: 'alerts-groups-toggle', checked: f.view === 'groups' });

  const apply = (changes = {}) => {
    Object.assign(f, { status: statusSel.value, severity_min: sevSel.value, assignee: assigneeSel.value, source_ip: ipInput.value.trim(), q: textInput.value.trim(), offset: 0 }, changes);
    ctx.setQuery({ ...f, offset: f.offset || '', sort: f.sort === 'last_seen' ? '' : f.sort, order: f.order === 'desc' ? '' : f.order, view: f.view === 'list' ? '' : f.view });
    load();
  };
  for (const el of [statusSel, sevSel, assigneeSel]) el.addEventListener('change', () => apply());
  for (const el of [ipInput, textInput]) el.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  groupsToggle.addEventListener('change', () => apply({ view: groupsToggle.checked ? 'groups' : 'list' }));

  const ruleChip = h('span', { class: 'filter-chips' });
  const filterBar = h(
    'div',
    { class: 'toolbar filters' },
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.status')), statusSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.minSeverity')), sevSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.assignee')), assigneeSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.sourceIp')), ipInput),
    h('label', { class: 'tb-field grow' }, h('span', {}, t('alerts.text')), textInput),
    h('button', { class: 'btn btn-primary', id: 'filter-apply', onClick: () => apply() }, t('common.query')),
    h(
      'button',
      {
        class: 'btn',
        onClick: () => {
          statusSel.value = '';
          sevSel.value = '';
          assigneeSel.value = '';
          ipInput.value = '';
          textInput.value = '';
          apply({ rule_id: '' });
        },
      },
      t('common.reset'),
    ),
    h('label', { class: 'switch' }, groupsToggle, h('span', {}, t('alerts.similarToggle'))),
  );

  // -- bulk bar ---------------------------------------------------------------------------
  const bulkCount = h('strong', {});
  const bulkAssignee = select({ id: 'bulk-assignee' }, [['', t('alerts.unassigned')], ...assigneeOptions()], ctx.me.username);
  const bulkStatus = select({ id: 'bulk-status' }, [['new', t('status.new')], ['in_progress', t('status.in_progress')]], 'in_progress');
  const bulkDisposition = select({ id: 'bulk-disposition' }, [['', t('alerts.chooseDisposition')], ...['true_positive', 'false_positive', 'benign'].map((d) => [d, t(`disp.${d}`)])], '');
  const bulkComment = h('input', { id: 'bulk-comment', type: 'text', placeholder: t('alerts.commentPh') });
  const bulkClose = h('button', { class: 'btn btn-danger', id: 'bulk-close', disabled: true }, t('alerts.bulkClose'));
  bulkDisposition.addEventListener('change', () => {
    bulkClose.disabled = !bulkDisposition.value;
  });
  const runBulk = async (changes) => {
    try {
      const result = await api.post('/api/v1/alerts/bulk', { ids: [...selected], ...changes });
      toast(t('alerts.bulkDone', { n: result && result.updated !== undefined ? result.updated : selected.size }));
      selected.clear();
      bulkComment.value = '';
      load();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  };
  bulkClose.addEventListener('click', () => {
    const body = { status: 'closed', disposition: bulkDisposition.value };
    if (bulkComment.value.trim()) body.comment = bulkComment.value.trim();
    runBulk(body);
  });
  const bulkBar = h(
    'div',
    { class: 'toolbar bulkbar', id: 'alerts-bulk', hidden: true },
    h('span', {}, t('alerts.selected'), ' ', bulkCount),
    h('span', { class: 'tb-sep' }),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.assignTo')), bulkAssignee),
    h('button', { class: 'btn', id: 'bulk-assign', onClick: () => runBulk({ assignee: bulkAssignee.value || null }) }, t('common.apply')),
    h('span', { class: 'tb-sep' }),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.setStatus')), bulkStatus),
    h('button', { class: 'btn', id: 'bulk-status-apply', onClick: () => runBulk({ status: bulkStatus.value }) }, t('common.apply')),
    h('span', { class: 'tb-sep' }),
    h('label', { class: 'tb-field' }, h('span', {}, t('alerts.disposition')), bulkDisposition),
    bulkComment,
    bulkClose,
  );
  const updateBulk = () => {
    bulkBar.hidden = !canTriage || selected.size === 0;
    bulkCount.textContent = String(selected.size);
  };

  const body = h('div', { class: 'table-wrap' }, loading());
  const foot = h('div', { class: 'table-foot' });
  replace(root, filterBar, h('div', {}, ruleChip), canTriage ? bulkBar : null, h('div', { class: 'card flush' }, body, foot));

  // -- list view --------------------------------------------------------------------------
  const sortHeader = (key, label) => {
    const active = f.sort === key;
    const arrow = active ? (f.order === 'desc' ? ' ▼' : ' ▲') : '';
    return h(
      'th',
      {
        class: ['sortable', active ? 'sorted' : ''],
        'data-sort': key,
        onClick: () => apply({ sort: key, order: active && f.order === 'desc' ? 'asc' : 'desc' }),
      },
      label + arrow,
    );
  };

  function renderList(data) {
    const items = data.items || [];
    ctx.markDemo(items);
    if (!items.length) {
      replace(body, emptyState(t('alerts.empty'), t('alerts.emptyHint')));
      replace(foot, pager(data.total || 0, f.offset, PAGE, (o) => apply({ offset: o })));
      return;
    }
    const allBox = h('input', { type: 'checkbox', 'aria-label': t('alerts.selectAll'), checked: items.every((a) => selected.has(a.id)) });
    const boxes = [];
    allBox.addEventListener('change', () => {
      for (const [id, box] of boxes) {
        box.checked = allBox.checked;
        if (allBox.checked) selected.add(id);
        else selected.delete(id);
      }
      updateBulk();
    });
    const rows = items.map((a) => {
      const box = h('input', { type: 'checkbox', class: 'row-check', 'aria-label': String(a.id), checked: selected.has(a.id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(a.id);
        else selected.delete(a.id);
        updateBulk();
      });
      box.addEventListener('click', (e) => e.stopPropagation());
      boxes.push([a.id, box]);
      return h(
        'tr',
        {
          'data-alert-id': a.id,
          class: ['clickable', `sev-row-${a.severity}`],
          tabindex: 0,
          onClick: () => ctx.navigate(`#/alerts/${encodeURIComponent(a.id)}`),
          onKeydown: (e) => {
            if (e.key === 'Enter' && e.target === e.currentTarget) ctx.navigate(`#/alerts/${encodeURIComponent(a.id)}`);
          },
        },
        canTriage ? h('td', { class: 'check', onClick: (e) => e.stopPropagation() }, box) : null,
        h('td', {}, sevChip(a.severity)),
        h('td', { class: 'strong' }, display(a.rule_name || a.rule_id), a.demo ? demoTag() : null),
        h('td', {}, display(a.attack_type)),
        h('td', { class: 'mono' }, display(a.source_ip)),
        h('td', { class: 'mono' }, display(a.target || a.destination_ip)),
        h('td', { class: 'num' }, fmtNum(a.count)),
        h('td', {}, statusChip(a.status)),
        h('td', {}, a.assignee ? a.assignee : h('span', { class: 'muted' }, t('alerts.unassigned'))),
        h('td', { class: 'nowrap' }, fmtTime(a.last_seen || a.timestamp)),
      );
    });
    replace(
      body,
      h(
        'table',
        { class: 'table', id: 'alerts-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            canTriage ? h('th', { class: 'check' }, allBox) : null,
            sortHeader('severity', t('alerts.severity')),
            h('th', {}, t('alerts.rule')),
            h('th', {}, t('alerts.attackType')),
            h('th', {}, t('alerts.sourceIp')),
            h('th', {}, t('alerts.target')),
            sortHeader('count', t('alerts.count')),
            h('th', {}, t('alerts.status')),
            h('th', {}, t('alerts.assignee')),
            sortHeader('last_seen', t('alerts.lastSeen')),
          ),
        ),
        h('tbody', {}, rows),
      ),
    );
    replace(foot, pager(data.total || 0, f.offset, PAGE, (o) => apply({ offset: o })));
  }

  // -- grouped view -----------------------------------------------------------------------
  function renderGroups(data) {
    const items = data.items || [];
    replace(foot);
    if (!items.length) {
      replace(body, emptyState(t('alerts.groupsEmpty')));
      return;
    }
    const rows = items.map((g) =>
      h(
        'tr',
        {
          class: 'clickable',
          'data-group': `${g.rule_id}|${g.source_ip || ''}`,
          onClick: () => {
            // The grouping ignores the other filters, so the group's alerts are shown without them.
            ipInput.value = g.source_ip || '';
            sevSel.value = '';
            assigneeSel.value = '';
            textInput.value = '';
            groupsToggle.checked = false;
            apply({ view: 'list', rule_id: g.rule_id });
          },
        },
        h('td', {}, sevChip(g.severity)),
        h('td', { class: 'strong' }, display(g.rule_name || g.rule_id)),
        h('td', { class: 'mono' }, display(g.source_ip)),
        h('td', { class: 'num' }, fmtNum(g.alerts)),
        h('td', { class: 'num' }, fmtNum(g.matches)),
        h(
          'td',
          {},
          Object.entries(g.statuses || {})
            .filter(([, n]) => n)
            .map(([st, n]) => h('span', { class: `chip status status-${st}` }, `${t(`status.${st}`)} ${n}`)),
        ),
        h('td', { class: 'nowrap' }, fmtTime(g.last_seen)),
      ),
    );
    replace(
      body,
      h(
        'table',
        { class: 'table', id: 'alert-groups-table' },
        h('thead', {}, h('tr', {}, ['alerts.severity', 'alerts.rule', 'alerts.sourceIp', 'alerts.groupAlerts', 'alerts.groupMatches', 'alerts.status', 'alerts.lastSeen'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, rows),
      ),
    );
  }

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    replace(
      ruleChip,
      f.rule_id
        ? h('span', { class: 'chip filter-chip' }, `${t('alerts.rule')}: ${f.rule_id}`, h('button', { class: 'chip-x', 'aria-label': t('common.remove'), onClick: () => apply({ rule_id: '' }) }, '×'))
        : null,
    );
    updateBulk();
    body.replaceChildren(loading());
    try {
      if (f.view === 'groups') {
        const groups = await api.get('/api/v1/alerts/groups', { status: f.status });
        if (!ctx.isCurrent() || !fresh()) return;
        renderGroups(groups);
      } else {
        const data = await api.get('/api/v1/alerts', {
          status: f.status,
          severity_min: f.severity_min,
          assignee: f.assignee,
          source_ip: f.source_ip,
          q: f.q,
          rule_id: f.rule_id,
          sort: f.sort,
          order: f.order,
          limit: PAGE,
          offset: f.offset,
        });
        if (!ctx.isCurrent() || !fresh()) return;
        renderList(data);
      }
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(body, inlineError(err));
    }
  }

  await load();
}
