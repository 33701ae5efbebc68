// Inbound notices (通报预警 from 网信, 公安 …) as rectification tasks: the list with each period
// counting down (overdue in red), registering one, the owner unit's feedback and the review.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, emptyState, loading, inlineError, pager, select, showError, toast, display, labelled, modal, latestOnly, panel, toLocalInput, fromLocalInput } from '../dom.js';
import { deadlineCell, ticking } from './reports.js';

const PAGE = 50;
const STATUSES = ['open', 'feedback', 'closed'];

export function noticeStatusChip(status) {
  return h('span', { class: `chip nstatus nstatus-${status || 'none'}` }, status ? t(`nstatus.${status}`) : '—');
}

function overdueChip() {
  return h('span', { class: 'chip chip-danger' }, t('notice.overdue'));
}

function kv(label, value, cls) {
  return h('div', { class: 'kv' }, h('div', { class: 'kv-k' }, label), h('div', { class: ['kv-v', cls] }, value));
}

function newNotice(ctx) {
  const fields = {
    issuer: h('input', { id: 'notice-new-issuer', type: 'text', placeholder: t('notice.issuerPh') }),
    reference: h('input', { id: 'notice-new-reference', type: 'text', placeholder: t('notice.referencePh') }),
    title: h('input', { id: 'notice-new-title', type: 'text' }),
    owner_unit: h('input', { id: 'notice-new-owner', type: 'text' }),
    asset: h('input', { id: 'notice-new-asset', type: 'text', placeholder: t('notice.assetPh') }),
    content: h('textarea', { id: 'notice-new-content', rows: 4 }),
  };
  const received = h('input', { id: 'notice-new-received', type: 'datetime-local', value: toLocalInput(new Date()) });
  const due = h('input', { id: 'notice-new-due', type: 'datetime-local' });
  const error = h('div', { class: 'form-error', hidden: true });
  const body = h(
    'div',
    { class: 'form-grid two' },
    labelled(t('notice.issuer'), fields.issuer),
    labelled(t('notice.reference'), fields.reference),
    labelled(t('notice.title'), fields.title, 'wide'),
    labelled(t('notice.ownerUnit'), fields.owner_unit),
    labelled(t('notice.asset'), fields.asset),
    labelled(t('notice.receivedAt'), received),
    labelled(t('notice.dueAt'), due),
    h('p', { class: 'form-hint wide' }, t('notice.dueHint')),
    labelled(t('notice.content'), fields.content, 'wide'),
    error,
  );
  modal(t('notices.new'), body, [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.create'),
      primary: true,
      id: 'notice-create',
      onClick: async (close) => {
        const payload = {};
        for (const [name, el] of Object.entries(fields)) if (el.value.trim()) payload[name] = el.value.trim();
        if (!payload.issuer || !payload.title || !payload.owner_unit) {
          error.textContent = t('notice.required');
          error.hidden = false;
          return;
        }
        if (fromLocalInput(received.value)) payload.received_at = fromLocalInput(received.value);
        if (fromLocalInput(due.value)) payload.due_at = fromLocalInput(due.value);
        try {
          const made = await api.post('/api/v1/notices', payload);
          close();
          toast(t('notice.created'));
          ctx.navigate(`#/notices/${encodeURIComponent(made.id)}`);
        } catch (err) {
          if (err.sessionExpired) return;
          error.textContent = err.detail || err.message;
          error.hidden = false;
        }
      },
    },
  ]);
}

async function renderList(root, ctx) {
  const f = { status: STATUSES.includes(ctx.query.status) ? ctx.query.status : '', overdue: ctx.query.overdue === 'true', offset: Math.max(0, Number(ctx.query.offset) || 0) };
  const statusSel = select({ id: 'notice-filter-status' }, [['', t('common.all')], ...STATUSES.map((s) => [s, t(`nstatus.${s}`)])], f.status);
  const overdueBox = h('input', { type: 'checkbox', id: 'notice-filter-overdue', checked: f.overdue });
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
      h('label', { class: 'tb-field' }, h('span', {}, t('notice.status')), statusSel),
      h('label', { class: 'switch' }, overdueBox, h('span', {}, t('notices.onlyOverdue'))),
      h('span', { class: 'grow' }),
      ctx.can('notices:manage') ? h('button', { class: 'btn btn-primary', id: 'notice-new', onClick: () => newNotice(ctx) }, `+ ${t('notices.new')}`) : null,
    ),
    h('div', { class: 'card flush' }, body, foot),
  );

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ status: f.status, overdue: f.overdue ? 'true' : '', offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/notices', { status: f.status, overdue: f.overdue ? 'true' : '', limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) {
        replace(body, emptyState(t('notices.empty'), t('notices.emptyHint')));
      } else {
        replace(
          body,
          h(
            'table',
            { class: 'table', id: 'notices-table' },
            h('thead', {}, h('tr', {}, ['notice.id', 'notice.title', 'notice.issuer', 'notice.reference', 'notice.ownerUnit', 'notice.status', 'notice.receivedAt', 'notice.dueAt', 'notice.remaining'].map((k) => h('th', {}, t(k))))),
            h(
              'tbody',
              {},
              items.map((n) =>
                h(
                  'tr',
                  { 'data-notice-id': n.id, class: ['clickable', n.overdue ? 'row-danger' : ''], onClick: () => ctx.navigate(`#/notices/${encodeURIComponent(n.id)}`) },
                  h('td', { class: 'mono' }, display(n.id)),
                  h('td', { class: 'strong' }, display(n.title)),
                  h('td', {}, display(n.issuer)),
                  h('td', { class: 'muted' }, display(n.reference)),
                  h('td', {}, display(n.owner_unit)),
                  h('td', {}, noticeStatusChip(n.status), n.overdue ? overdueChip() : null),
                  h('td', { class: 'nowrap' }, fmtTime(n.received_at)),
                  h('td', { class: ['nowrap', n.overdue ? 'text-danger' : ''] }, fmtTime(n.due_at)),
                  h('td', { class: 'nowrap' }, deadlineCell(n.due_at, n.status !== 'closed')),
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

async function post(path, payload, reload, button) {
  button.disabled = true;
  try {
    await api.post(path, payload);
    toast(t('common.saved'));
    await reload();
  } catch (err) {
    button.disabled = false;
    if (!err.sessionExpired) showError(err);
  }
}

async function renderDetail(root, ctx) {
  const n = await api.get(`/api/v1/notices/${encodeURIComponent(ctx.params[0])}`);
  ctx.setSubtitle(`#${n.id}`);
  const reload = () => ctx.isCurrent() && renderDetail(root, ctx);
  const base = `/api/v1/notices/${encodeURIComponent(n.id)}`;

  const facts = h(
    'div',
    { class: 'kv-grid' },
    kv(t('notice.issuer'), display(n.issuer)),
    kv(t('notice.reference'), display(n.reference)),
    kv(t('notice.ownerUnit'), display(n.owner_unit)),
    kv(t('notice.asset'), display(n.asset)),
    kv(t('notice.receivedAt'), fmtTime(n.received_at)),
    kv(t('notice.dueAt'), fmtTime(n.due_at), n.overdue ? 'text-danger' : ''),
    kv(t('notice.remaining'), deadlineCell(n.due_at, n.status !== 'closed')),
    kv(t('notice.createdBy'), `${display(n.created_by)} · ${fmtTime(n.created_at)}`),
    h('div', { class: 'kv wide' }, h('div', { class: 'kv-k' }, t('notice.content')), h('div', { class: 'kv-v wide pre-wrap' }, display(n.content))),
  );

  const feedbackShown = n.feedback
    ? h('div', { class: 'kv-grid' }, kv(t('notice.feedbackBy'), `${display(n.feedback_by)} · ${fmtTime(n.feedback_at)}`), h('div', { class: 'kv wide' }, h('div', { class: 'kv-k' }, t('notice.feedback')), h('div', { class: 'kv-v wide pre-wrap', id: 'notice-feedback-text' }, display(n.feedback))))
    : h('p', { class: 'muted' }, t('notice.noFeedback'));
  let feedbackForm = null;
  if (n.status === 'open' && ctx.can('notices:feedback')) {
    const text = h('textarea', { id: 'notice-feedback', rows: 3, placeholder: t('notice.feedbackPh') });
    const send = h('button', { class: 'btn btn-primary', id: 'notice-feedback-send' }, t('notice.sendFeedback'));
    send.addEventListener('click', () => {
      if (text.value.trim()) post(`${base}/feedback`, { text: text.value.trim() }, reload, send);
    });
    feedbackForm = h('div', { class: 'inline-form' }, text, send);
  }

  const reviewShown = n.reviewed_by
    ? h('div', { class: 'kv-grid' }, kv(t('notice.reviewedBy'), `${display(n.reviewed_by)} · ${fmtTime(n.reviewed_at)}`), h('div', { class: 'kv wide' }, h('div', { class: 'kv-k' }, t('notice.review')), h('div', { class: 'kv-v wide pre-wrap', id: 'notice-review-text' }, display(n.review))))
    : h('p', { class: 'muted' }, t('notice.noReview'));
  let reviewForm = null;
  if (n.status === 'feedback' && ctx.can('notices:manage')) {
    const text = h('textarea', { id: 'notice-review', rows: 2, placeholder: t('notice.reviewPh') });
    const accept = h('button', { class: 'btn btn-primary', id: 'notice-accept' }, t('notice.accept'));
    const reject = h('button', { class: 'btn btn-danger-ghost', id: 'notice-reject' }, t('notice.reject'));
    accept.addEventListener('click', () => post(`${base}/review`, { accept: true, text: text.value.trim() }, reload, accept));
    reject.addEventListener('click', () => {
      if (!text.value.trim()) {
        showError({ detail: t('notice.rejectNeedsText') });
        return;
      }
      post(`${base}/review`, { accept: false, text: text.value.trim() }, reload, reject);
    });
    reviewForm = h('div', { class: 'inline-form' }, text, accept, reject);
  }

  replace(
    root,
    h(
      'div',
      { class: 'detail-head' },
      h('a', { href: '#/notices', class: 'back' }, `← ${t('notice.back')}`),
      h('div', { class: 'detail-title' }, h('h2', {}, display(n.title)), noticeStatusChip(n.status), n.overdue ? overdueChip() : null),
    ),
    h(
      'div',
      { class: 'detail-main' },
      panel(t('notice.task'), facts),
      panel(t('notice.feedback'), h('div', {}, feedbackShown, feedbackForm)),
      panel(t('notice.review'), h('div', {}, reviewShown, reviewForm)),
    ),
  );
}

export async function render(root, ctx) {
  root.replaceChildren(loading());
  const stop = ticking(root);
  try {
    await (ctx.params.length ? renderDetail(root, ctx) : renderList(root, ctx));
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
