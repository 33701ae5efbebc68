// 处置: the playbook engine in the console. Approvals (pending first; the security admin approves
// or rejects, with a reason), the runs with every step attempt, the blocks applied (or only planned,
// in dry-run) with a lift button, and the loaded playbooks with the files refused (file:line).
import { api, settle } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, pager, select, showError, toast, display, labelled, modal, latestOnly, panel, errorText } from '../dom.js';
import { deadlineCell, ticking } from './reports.js';

const PAGE = 50;
const TABS = ['approvals', 'runs', 'blocks', 'playbooks'];
const RUN_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'cancelled'];
const LIFTABLE = new Set(['active', 'dry_run']);
const SIGMA_LEVELS = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 };
// Chip colour per status of each vocabulary (soc_core/vocabulary.py).
const TONES = {
  runstatus: { running: 'chip-info', waiting: 'chip-warn', succeeded: 'chip-ok', failed: 'chip-danger', cancelled: 'chip-plain' },
  stepstatus: { running: 'chip-info', waiting: 'chip-warn', succeeded: 'chip-ok', failed: 'chip-danger', skipped: 'chip-plain' },
  apstatus: { pending: 'chip-warn', approved: 'chip-ok', rejected: 'chip-danger', expired: 'chip-plain' },
  blkstatus: { active: 'chip-danger', dry_run: 'chip-drill', removed: 'chip-plain', expired: 'chip-plain', failed: 'chip-danger' },
};

function chip(kind, status) {
  return h('span', { class: ['chip', TONES[kind][status] || 'chip-plain'], dataset: { status: status || '' } }, status ? t(`${kind}.${status}`, {}, status) : '—');
}

/** The API's error, or the engine-off message for a 503 (the engine is not running on this node). */
function reportError(err) {
  if (err.sessionExpired) return;
  showError(err.status === 503 ? { status: 503, detail: t('response.engineOffAction') } : err);
}

function describe(err) {
  return err.status === 503 ? t('response.engineOffAction') : errorText(err);
}

function kv(label, value, cls) {
  return h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, label), h('div', { class: ['kv-v', cls] }, value));
}

function fmtValue(value) {
  if (value === true) return t('response.yes');
  if (value === false) return t('response.no');
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return value.length ? value.join(', ') : '—';
  return display(value);
}

/** An object as a compact key/value list (step inputs and outputs). */
function kvList(obj, cls) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return h('span', { class: 'muted' }, '—');
  return h('dl', { class: ['kv-list', cls] }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, fmtValue(v))]));
}

function runLink(runId) {
  if (runId === null || runId === undefined) return h('span', { class: 'muted' }, '—');
  return h('a', { href: `#/response/runs/${encodeURIComponent(runId)}`, class: 'mono', onClick: (e) => e.stopPropagation() }, `#${runId}`);
}

/** What started a run: the alert (a link when the roles may read alerts) and the incident, if any. */
function triggerLinks(run, ctx) {
  const parts = [];
  if (run.alert_id) {
    const label = t('runs.alert', { id: String(run.alert_id).slice(0, 8) });
    parts.push(
      ctx.can('alerts:read')
        ? h('a', { href: `#/alerts/${encodeURIComponent(run.alert_id)}`, class: 'run-alert', title: run.alert_id, onClick: (e) => e.stopPropagation() }, label)
        : h('span', { title: run.alert_id }, label),
    );
  }
  if (run.incident_id) {
    const label = t('runs.incident', { id: run.incident_id });
    parts.push(
      ctx.can('incidents:read')
        ? h('a', { href: `#/incidents/${encodeURIComponent(run.incident_id)}`, class: 'run-incident', onClick: (e) => e.stopPropagation() }, label)
        : h('span', {}, label),
    );
  }
  if (!parts.length) return h('span', { class: 'mono small muted' }, display(run.trigger_key));
  return h('span', { class: 'chip-row' }, parts);
}

// -- approvals ----------------------------------------------------------------------------

function decide(ap, approve, after) {
  const reason = h('textarea', { id: 'approval-reason', rows: 3, maxlength: 2000, placeholder: t('approvals.reasonPh') });
  const error = h('div', { class: 'form-error', hidden: true });
  let busy = false;
  modal(
    t(approve ? 'approvals.approveTitle' : 'approvals.rejectTitle', { id: ap.id }),
    h('div', { class: 'form-grid' }, h('p', { class: 'strong' }, display(ap.summary)), h('p', { class: 'form-hint' }, t(approve ? 'approvals.approveHint' : 'approvals.rejectHint')), labelled(t('approvals.reasonLabel'), reason), error),
    [
      { label: t('common.cancel'), onClick: (close) => close() },
      {
        label: t(approve ? 'approvals.approve' : 'approvals.reject'),
        primary: approve,
        danger: !approve,
        id: 'approval-confirm',
        onClick: async (close) => {
          if (busy) return;
          busy = true;
          try {
            await api.post(`/api/v1/approvals/${encodeURIComponent(ap.id)}`, { approve, reason: reason.value.trim() || null });
            close();
            toast(t(approve ? 'approvals.approved' : 'approvals.rejected'));
            await after();
          } catch (err) {
            busy = false;
            if (err.sessionExpired) return;
            error.textContent = describe(err);
            error.hidden = false;
          }
        },
      },
    ],
  );
}

function approvalsTable(items, ctx, after) {
  const canApprove = ctx.can('playbooks:approve');
  const cols = ['approvals.id', 'approvals.summary', 'approvals.run', 'approvals.status', 'approvals.requestedAt', 'approvals.expiresAt', 'approvals.decidedBy', 'approvals.reason'];
  if (canApprove) cols.push('approvals.actions');
  return h(
    'table',
    { class: 'table', id: 'approvals-table' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', {}, t(k))))),
    h(
      'tbody',
      {},
      items.map((ap) => {
        const pending = ap.status === 'pending';
        return h(
          'tr',
          { 'data-approval-id': ap.id, 'data-status': ap.status, class: pending ? 'row-warn' : '' },
          h('td', { class: 'mono' }, display(ap.id)),
          h('td', { class: 'strong' }, display(ap.summary)),
          h('td', {}, runLink(ap.run_id)),
          h('td', {}, chip('apstatus', ap.status)),
          h('td', { class: 'nowrap' }, fmtTime(ap.requested_at)),
          h('td', { class: 'nowrap' }, ap.expires_at ? [h('div', {}, fmtTime(ap.expires_at)), pending ? h('div', { class: 'small' }, deadlineCell(ap.expires_at, true)) : null] : t('approvals.noExpiry')),
          h('td', { class: 'nowrap approval-decided-by' }, ap.decided_by ? [h('div', {}, ap.decided_by), h('div', { class: 'small muted' }, fmtTime(ap.decided_at))] : '—'),
          h('td', { class: ap.reason ? 'pre-wrap' : 'muted' }, display(ap.reason)),
          canApprove
            ? h(
                'td',
                { class: 'actions' },
                pending
                  ? [
                      h('button', { type: 'button', class: 'btn btn-sm btn-primary', id: `approval-approve-${ap.id}`, onClick: () => decide(ap, true, after) }, t('approvals.approve')),
                      h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', id: `approval-reject-${ap.id}`, onClick: () => decide(ap, false, after) }, t('approvals.reject')),
                    ]
                  : null,
              )
            : null,
        );
      }),
    ),
  );
}

function approvalsView(items, ctx, after) {
  return h(
    'div',
    { class: 'card flush' },
    ctx.can('playbooks:approve') ? null : h('p', { class: 'table-note', id: 'approvals-read-only' }, t('approvals.readOnly')),
    h('div', { class: 'table-wrap' }, items.length ? approvalsTable(items, ctx, after) : emptyState(t('approvals.empty'), t('approvals.emptyHint'))),
  );
}

// -- blocks -------------------------------------------------------------------------------

function lift(block, after) {
  let busy = false;
  const error = h('div', { class: 'form-error', hidden: true });
  modal(t('blocks.liftTitle', { address: block.address }), h('div', { class: 'form-grid' }, h('p', {}, t('blocks.liftConfirm', { address: block.address })), error), [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('blocks.lift'),
      danger: true,
      id: 'block-lift-confirm',
      onClick: async (close) => {
        if (busy) return;
        busy = true;
        try {
          const done = await api.post(`/api/v1/blocks/${encodeURIComponent(block.id)}/lift`, {});
          close();
          if (done.error && LIFTABLE.has(done.status)) showError({ detail: t('blocks.liftFailed', { error: done.error }) });
          else toast(t('blocks.lifted', { address: block.address }));
          await after();
        } catch (err) {
          busy = false;
          if (err.sessionExpired) return;
          error.textContent = describe(err);
          error.hidden = false;
        }
      },
    },
  ]);
}

function blocksTable(items, ctx, after) {
  const canLift = ctx.can('blocks:manage');
  const cols = ['blocks.address', 'blocks.responder', 'blocks.status', 'blocks.reason', 'blocks.approvedBy', 'blocks.createdAt', 'blocks.expiresAt', 'blocks.liftedAt', 'blocks.run'];
  if (canLift) cols.push('blocks.actions');
  return h(
    'table',
    { class: 'table', id: 'blocks-table' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', {}, t(k))))),
    h(
      'tbody',
      {},
      items.map((b) => {
        const live = LIFTABLE.has(b.status);
        return h(
          'tr',
          { 'data-block-id': b.id, 'data-address': b.address, 'data-status': b.status, class: b.status === 'active' ? 'row-danger' : b.status === 'failed' ? 'row-warn' : '' },
          h('td', { class: 'mono strong' }, display(b.address)),
          h('td', { class: 'mono' }, display(b.responder)),
          h(
            'td',
            { class: 'nowrap' },
            chip('blkstatus', b.status),
            b.dry_run && b.status !== 'dry_run' ? h('span', { class: 'chip chip-drill', 'data-dry-run': 'true', title: t('blocks.drillTitle') }, t('blocks.drill')) : null,
            b.error ? h('div', { class: 'small text-danger' }, b.error) : null,
          ),
          h('td', {}, display(b.reason)),
          h('td', { class: 'block-approved-by' }, display(b.approved_by)),
          h('td', { class: 'nowrap' }, fmtTime(b.created_at)),
          h('td', { class: 'nowrap' }, b.expires_at ? [h('div', {}, fmtTime(b.expires_at)), live ? h('div', { class: 'small' }, deadlineCell(b.expires_at, true)) : null] : t('blocks.noExpiry')),
          h('td', { class: 'nowrap' }, fmtTime(b.lifted_at)),
          h('td', {}, runLink(b.run_id)),
          canLift ? h('td', { class: 'actions' }, live ? h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', id: `block-lift-${b.id}`, onClick: () => lift(b, after) }, t('blocks.lift')) : null) : null,
        );
      }),
    ),
  );
}

function blocksView(items, ctx, after) {
  return h('div', { class: 'card flush' }, h('div', { class: 'table-wrap' }, items.length ? blocksTable(items, ctx, after) : emptyState(t('blocks.empty'), t('blocks.emptyHint'))));
}

// -- playbooks ----------------------------------------------------------------------------

function triggerSummary(trigger) {
  const tg = trigger || {};
  const list = (values) => values.join(', ');
  const parts = [t(`playbooks.on.${tg.on || 'alert'}`, {}, tg.on)];
  if (tg.severity_at_least) parts.push(t('playbooks.sevAtLeast', { sev: t(`sev.${SIGMA_LEVELS[tg.severity_at_least]}`, {}, tg.severity_at_least) }));
  if (tg.rules && tg.rules.length) parts.push(t('playbooks.rules', { list: list(tg.rules) }));
  if (tg.tags_any && tg.tags_any.length) parts.push(t('playbooks.tags', { list: list(tg.tags_any) }));
  if (tg.categories && tg.categories.length) parts.push(t('playbooks.categories', { list: list(tg.categories) }));
  if (tg.zones && tg.zones.length) parts.push(t('playbooks.zones', { list: list(tg.zones) }));
  if (tg.criticality_at_least) parts.push(t('playbooks.critAtLeast', { crit: t(`crit.${tg.criticality_at_least}`, {}, tg.criticality_at_least) }));
  if (tg.levels && tg.levels.length) parts.push(t('playbooks.levels', { list: list(tg.levels) }));
  return h('div', { class: 'chip-row trigger-summary' }, parts.map((text) => h('span', { class: 'chip chip-plain' }, text)));
}

function needsApproval(step) {
  return (step.action === 'block' && step.approval !== false) || step.action === 'wait_for_approval';
}

function stepSummary(steps) {
  return h(
    'ol',
    { class: 'step-list' },
    (steps || []).map((step) =>
      h(
        'li',
        { 'data-action': step.action },
        h('span', {}, display(step.name || t(`pbaction.${step.action}`, {}, step.action))),
        ' ',
        h('span', { class: 'muted small' }, t(`pbaction.${step.action}`, {}, step.action)),
        needsApproval(step) ? h('span', { class: 'chip chip-warn step-approval' }, t('playbooks.needsApproval')) : null,
      ),
    ),
  );
}

function playbooksView(data) {
  const items = data.items || [];
  const problems = data.problems || [];
  const loaded = items.length
    ? h(
        'table',
        { class: 'table', id: 'playbooks-table' },
        h('thead', {}, h('tr', {}, ['playbooks.id', 'playbooks.name', 'playbooks.trigger', 'playbooks.steps', 'playbooks.file'].map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          items.map((p) =>
            h(
              'tr',
              { 'data-playbook-id': p.id, class: 'top' },
              h('td', { class: 'mono' }, p.id),
              h('td', {}, h('div', { class: 'strong' }, display(p.name)), p.description ? h('div', { class: 'small muted' }, p.description) : null),
              h('td', {}, triggerSummary(p.trigger)),
              h('td', {}, stepSummary(p.steps)),
              h('td', { class: 'mono small muted' }, display(p.path)),
            ),
          ),
        ),
      )
    : emptyState(t('playbooks.empty'), t('playbooks.emptyHint'));
  const refused = problems.length
    ? h(
        'table',
        { class: 'table compact', id: 'playbook-problems' },
        h('thead', {}, h('tr', {}, ['playbooks.problemFile', 'playbooks.problemMessage'].map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          problems.map((p) => h('tr', { 'data-path': p.path, 'data-line': p.line, class: 'row-danger' }, h('td', { class: 'mono nowrap problem-where' }, `${p.path}:${p.line}`), h('td', { class: 'text-danger pre-wrap' }, display(p.message)))),
        ),
      )
    : h('p', { class: 'muted', id: 'playbook-problems-none' }, t('playbooks.problemsNone'));
  return [h('div', { class: 'card flush' }, h('div', { class: 'table-wrap' }, loaded)), panel(t('playbooks.problems'), h('div', { class: 'table-wrap' }, refused))];
}

// -- runs ---------------------------------------------------------------------------------

async function runsView(host, ctx, playbooks, f) {
  const statusSel = select({ id: 'run-filter-status' }, [['', t('common.all')], ...RUN_STATUSES.map((s) => [s, t(`runstatus.${s}`)])], f.status);
  const body = h('div', { class: 'table-wrap' }, loading());
  const foot = h('div', { class: 'table-foot' });
  replace(host, h('div', { class: 'toolbar' }, h('label', { class: 'tb-field' }, h('span', {}, t('runs.status')), statusSel)), h('div', { class: 'card flush' }, body, foot));
  statusSel.addEventListener('change', () => {
    f.status = statusSel.value;
    f.offset = 0;
    load();
  });
  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ tab: 'runs', status: f.status, offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/playbooks/runs', { status: f.status, limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) {
        replace(body, emptyState(t('runs.empty'), t('runs.emptyHint')));
      } else {
        replace(
          body,
          h(
            'table',
            { class: 'table', id: 'runs-table' },
            h('thead', {}, h('tr', {}, ['runs.id', 'runs.playbook', 'runs.trigger', 'runs.status', 'runs.progress', 'runs.error', 'runs.createdAt', 'runs.updatedAt'].map((k) => h('th', {}, t(k))))),
            h(
              'tbody',
              {},
              items.map((r) => {
                const pb = playbooks.find((p) => p.id === r.playbook_id);
                return h(
                  'tr',
                  { 'data-run-id': r.id, 'data-status': r.status, class: ['clickable', r.status === 'failed' ? 'row-danger' : r.status === 'waiting' ? 'row-warn' : ''], onClick: () => ctx.navigate(`#/response/runs/${encodeURIComponent(r.id)}`) },
                  h('td', { class: 'mono' }, `#${r.id}`),
                  h('td', {}, h('div', { class: 'strong' }, display(pb ? pb.name : r.playbook_id)), pb ? h('div', { class: 'mono small muted' }, r.playbook_id) : null),
                  h('td', {}, triggerLinks(r, ctx)),
                  h('td', {}, chip('runstatus', r.status)),
                  h('td', { class: 'nowrap' }, pb ? t('runs.progressN', { done: Math.min(r.step_index, pb.steps.length), total: pb.steps.length }) : fmtNum(r.step_index)),
                  h('td', { class: r.error ? 'text-danger' : 'muted' }, display(r.error)),
                  h('td', { class: 'nowrap' }, fmtTime(r.created_at)),
                  h('td', { class: 'nowrap' }, fmtTime(r.updated_at)),
                );
              }),
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
      reportError(err);
      replace(body, inlineError(err));
    }
  }
  await load();
}

// -- the page -----------------------------------------------------------------------------

function engineOff() {
  return h('div', { class: 'notice-warn', id: 'response-engine-off', role: 'status' }, t('response.engineOff'));
}

async function renderTabs(root, ctx) {
  let tab = TABS.includes(ctx.query.tab) ? ctx.query.tab : 'approvals';
  const runFilter = { status: RUN_STATUSES.includes(ctx.query.status) ? ctx.query.status : '', offset: Math.max(0, Number(ctx.query.offset) || 0) };
  const tabs = h('div', { class: 'tabs', role: 'tablist', id: 'response-tabs' });
  const notice = h('div', { hidden: true });
  const body = h('div', { class: 'response-body' }, loading());
  const refresh = h('button', { type: 'button', class: 'btn', id: 'response-refresh' }, t('common.refresh'));
  replace(root, notice, h('div', { class: 'toolbar' }, tabs, h('span', { class: 'grow' }), refresh), body);

  let data = { playbooks: { running: true, items: [], problems: [] }, approvals: [], blocks: [] };
  const nextLoad = latestOnly();

  function drawTabs() {
    const pending = data.approvals.filter((a) => a.status === 'pending').length;
    const live = data.blocks.filter((b) => LIFTABLE.has(b.status)).length;
    const refused = (data.playbooks.problems || []).length;
    const counts = { approvals: [pending, pending ? 'tab-warn' : ''], runs: [null, ''], blocks: [live, ''], playbooks: [(data.playbooks.items || []).length, refused ? 'tab-danger' : ''] };
    replace(
      tabs,
      TABS.map((key) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': tab === key ? 'true' : 'false',
            class: ['tab', tab === key ? 'active' : '', counts[key][1]],
            'data-tab': key,
            onClick: () => {
              if (tab === key) return;
              tab = key;
              if (key === 'runs') runFilter.offset = 0;
              load();
            },
          },
          t(`response.tab.${key}`),
          counts[key][0] === null ? null : h('span', { class: 'tab-count' }, fmtNum(counts[key][0])),
          key === 'playbooks' && refused ? h('span', { class: 'tab-count tab-count-danger', title: t('playbooks.refusedCount', { n: refused }) }, `✕ ${fmtNum(refused)}`) : null,
        ),
      ),
    );
  }

  async function load() {
    const fresh = nextLoad();
    if (tab !== 'runs') ctx.setQuery({ tab: tab === 'approvals' ? '' : tab });
    drawTabs();
    replace(body, loading());
    const [pb, ap, bl] = await settle([api.get('/api/v1/playbooks'), api.get('/api/v1/approvals'), api.get('/api/v1/blocks')]);
    if (!ctx.isCurrent() || !fresh()) return;
    const failed = [pb, ap, bl].find((r) => !r.ok);
    if (failed) {
      reportError(failed.error);
      if (failed.error.sessionExpired) return;
    }
    data = {
      playbooks: pb.ok ? pb.value : data.playbooks,
      approvals: ap.ok ? ap.value.items || [] : [],
      blocks: bl.ok ? bl.value.items || [] : [],
    };
    notice.replaceChildren(...(data.playbooks.running ? [] : [engineOff()]));
    notice.hidden = data.playbooks.running;
    drawTabs();
    const items = data.playbooks.items || [];
    if (tab === 'approvals') replace(body, ap.ok ? approvalsView(data.approvals, ctx, load) : inlineError(ap.error));
    else if (tab === 'blocks') replace(body, bl.ok ? blocksView(data.blocks, ctx, load) : inlineError(bl.error));
    else if (tab === 'playbooks') replace(body, pb.ok ? playbooksView(data.playbooks) : inlineError(pb.error));
    else await runsView(body, ctx, items, runFilter);
  }
  refresh.addEventListener('click', () => load());
  await load();
}

async function renderRun(root, ctx) {
  const id = ctx.params[0];
  const [runResult, pbResult, apResult, blResult] = await settle([
    api.get(`/api/v1/playbooks/runs/${encodeURIComponent(id)}`),
    api.get('/api/v1/playbooks'),
    api.get('/api/v1/approvals'),
    api.get('/api/v1/blocks'),
  ]);
  if (!runResult.ok) throw runResult.error;
  if (!ctx.isCurrent()) return;
  const run = runResult.value;
  const playbooks = pbResult.ok ? pbResult.value.items || [] : [];
  const approvals = apResult.ok ? (apResult.value.items || []).filter((a) => a.run_id === run.id) : [];
  const blocks = blResult.ok ? (blResult.value.items || []).filter((b) => b.run_id === run.id) : [];
  const reload = async () => {
    if (ctx.isCurrent()) await renderRun(root, ctx);
  };
  ctx.setSubtitle(`#${run.id}`);
  const pb = playbooks.find((p) => p.id === run.playbook_id);
  const name = pb ? pb.name : null;

  const facts = h(
    'div',
    { class: 'kv-grid', id: 'run-facts' },
    kv(t('run.playbook'), [name ? h('span', { class: 'strong' }, name) : null, h('span', { class: 'mono small muted' }, ` ${run.playbook_id}`)]),
    kv(t('run.trigger'), triggerLinks(run, ctx)),
    kv(t('run.status'), chip('runstatus', run.status)),
    kv(t('run.step'), pb ? t('runs.progressN', { done: Math.min(run.step_index, pb.steps.length), total: pb.steps.length }) : fmtNum(run.step_index)),
    kv(t('run.createdAt'), fmtTime(run.created_at)),
    kv(t('run.updatedAt'), fmtTime(run.updated_at)),
    run.wake_at ? kv(t('run.wakeAt'), fmtTime(run.wake_at)) : null,
    run.error ? kv(t('run.error'), run.error, 'text-danger wide') : null,
  );

  const steps = run.steps || [];
  const stepsTable = steps.length
    ? h(
        'table',
        { class: 'table', id: 'run-steps' },
        h('thead', {}, h('tr', {}, ['step.index', 'step.name', 'step.action', 'step.attempt', 'step.status', 'step.startedAt', 'step.finishedAt', 'step.approvedBy', 'step.error', 'step.outputs'].map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          steps.map((s) =>
            h(
              'tr',
              { 'data-step-index': s.step_index, 'data-action': s.action, 'data-attempt': s.attempt, 'data-status': s.status, class: ['top', s.status === 'failed' ? 'row-danger' : s.status === 'waiting' ? 'row-warn' : ''] },
              h('td', { class: 'num' }, fmtNum(s.step_index + 1)),
              h('td', {}, h('div', { class: 'strong' }, display(s.name)), Object.keys(s.inputs || {}).length ? h('details', { class: 'step-inputs' }, h('summary', {}, t('step.inputs')), kvList(s.inputs)) : null),
              h('td', {}, t(`pbaction.${s.action}`, {}, s.action), h('div', { class: 'mono small muted' }, s.action)),
              h('td', { class: 'num' }, fmtNum(s.attempt)),
              h('td', {}, chip('stepstatus', s.status)),
              h('td', { class: 'nowrap' }, fmtTime(s.started_at)),
              h('td', { class: 'nowrap' }, fmtTime(s.finished_at)),
              h('td', { class: 'step-approved-by' }, display(s.approved_by)),
              h('td', { class: s.error ? 'text-danger pre-wrap' : 'muted' }, display(s.error)),
              h('td', { class: 'step-outputs' }, kvList(s.outputs)),
            ),
          ),
        ),
      )
    : emptyState(t('run.noSteps'));

  replace(
    root,
    pbResult.ok && !pbResult.value.running ? engineOff() : null,
    h(
      'div',
      { class: 'detail-head' },
      h('a', { href: '#/response?tab=runs', class: 'back' }, `← ${t('run.back')}`),
      h('div', { class: 'detail-title' }, h('h2', {}, t('run.title', { id: run.id })), chip('runstatus', run.status), h('button', { type: 'button', class: 'btn btn-sm', id: 'run-refresh', onClick: reload }, t('common.refresh'))),
      h('div', { class: 'detail-meta muted' }, display(name || run.playbook_id)),
    ),
    h(
      'div',
      { class: 'detail-main' },
      panel(t('run.facts'), facts),
      panel(t('run.steps'), h('div', { class: 'table-wrap' }, stepsTable)),
      approvals.length ? panel(t('run.approvals'), h('div', { class: 'table-wrap' }, approvalsTable(approvals, ctx, reload))) : null,
      blocks.length ? panel(t('run.blocks'), h('div', { class: 'table-wrap' }, blocksTable(blocks, ctx, reload))) : null,
    ),
  );
}

export async function render(root, ctx) {
  root.replaceChildren(loading());
  const stop = ticking(root); // approval deadlines and block TTLs count down
  try {
    await (ctx.params.length ? renderRun(root, ctx) : renderTabs(root, ctx));
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
