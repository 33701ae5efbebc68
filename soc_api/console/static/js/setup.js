// First start (首次启动): the three admin accounts of 三员分立, each created by its own person
// with the one-time token from the URL fragment (#token=...).
import { api } from './api.js';
import { t, getLang, setLang, applyDocumentLang } from './i18n.js';
import { h, replace, showError, hideError, labelled } from './dom.js';

const ADMIN_ROLES = ['system_admin', 'security_admin', 'audit_admin'];

function tokenFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  return params.get('token') || '';
}

let lastCreated = null;

function roleForm(role, onCreated) {
  const username = h('input', { name: 'username', id: `setup-${role}-username`, type: 'text', autocomplete: 'off', required: true });
  const displayName = h('input', { name: 'display_name', id: `setup-${role}-display-name`, type: 'text' });
  const password = h('input', { name: 'password', id: `setup-${role}-password`, type: 'password', autocomplete: 'new-password', required: true });
  const confirm = h('input', { name: 'confirm', id: `setup-${role}-confirm`, type: 'password', autocomplete: 'new-password', required: true });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: `setup-submit-${role}` }, t('setup.create'));
  return h(
    'form',
    {
      id: `setup-form-${role}`,
      class: 'setup-form',
      'data-role': role,
      novalidate: true,
      onSubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        hideError();
        if (!username.value.trim() || !password.value) {
          error.textContent = t('setup.missing');
          error.hidden = false;
          return;
        }
        if (password.value !== confirm.value) {
          error.textContent = t('password.mismatch');
          error.hidden = false;
          return;
        }
        submit.disabled = true;
        try {
          const body = { role, username: username.value.trim(), password: password.value, display_name: displayName.value.trim() || username.value.trim() };
          const result = await api.post('/api/v1/setup/accounts', body, { headers: { 'X-Setup-Token': tokenFromHash() }, noAuthRedirect: true });
          lastCreated = { role, username: (result && result.username) || body.username };
          await onCreated();
        } catch (err) {
          error.textContent = err.detail || err.message;
          error.hidden = false;
          showError(err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    labelled(t('setup.username'), username),
    labelled(t('setup.displayName'), displayName),
    labelled(t('setup.password'), password),
    labelled(t('setup.confirm'), confirm),
    error,
    submit,
  );
}

async function render() {
  applyDocumentLang();
  document.title = `${t('setup.title')} · ${t('app.name')}`;
  const root = document.getElementById('setup');
  const token = tokenFromHash();
  let data;
  const banner = h('div', { id: 'error-banner', class: 'error-banner', role: 'alert', hidden: true }, h('span', { class: 'error-icon' }, '!'), h('span', { class: 'error-text' }));
  const header = h(
    'header',
    { class: 'setup-header' },
    h('div', { class: 'setup-brand' }, h('span', { class: 'login-logo' }, '哨'), h('div', {}, h('div', { class: 'login-name' }, t('app.name')), h('div', { class: 'login-tag' }, t('app.tagline')))),
    h(
      'button',
      {
        type: 'button',
        id: 'lang-switch',
        class: 'btn btn-ghost btn-sm',
        onClick: () => {
          setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN');
          render();
        },
      },
      t('header.langOther'),
    ),
  );
  try {
    data = await api.get('/api/v1/setup', undefined, { noAuthRedirect: true });
  } catch (err) {
    replace(root, header, banner, h('main', { class: 'setup-main' }, h('h1', {}, t('setup.title'))));
    showError(err);
    return;
  }
  const roles = (data.roles || []).length ? data.roles : ADMIN_ROLES.map((role) => ({ role, done: false, username: null }));
  const allDone = !data.required || roles.every((r) => r.done);

  const intro = h(
    'section',
    { class: 'setup-intro panel' },
    h('div', { class: 'panel-body' }, h('h2', {}, t('setup.separationTitle')), h('p', {}, t('setup.separationLead')), h('ul', { class: 'setup-rules' }, ['setup.rule1', 'setup.rule2', 'setup.rule3', 'setup.rule4'].map((k) => h('li', {}, t(k))))),
  );

  const cards = roles.map((r) => {
    const label = getLang() === 'zh-CN' && r.label_zh ? r.label_zh : t(`role.${r.role}`);
    return h(
      'section',
      { class: ['setup-role', r.done ? 'done' : 'pending'], 'data-role': r.role, id: `setup-role-${r.role}` },
      h(
        'header',
        { class: 'setup-role-head' },
        h('h3', {}, label),
        r.done ? h('span', { class: 'chip chip-ok setup-state' }, t('setup.done')) : h('span', { class: 'chip chip-warn setup-state' }, t('setup.pending')),
      ),
      h('p', { class: 'muted small' }, t(`setup.duty.${r.role}`)),
      r.done
        ? h('p', { class: 'setup-done-user' }, t('setup.createdAs', { name: r.username || '—' }))
        : h('div', {}, h('p', { class: 'form-hint' }, t('setup.ownPerson')), roleForm(r.role, render)),
    );
  });

  const notices = [];
  if (lastCreated) notices.push(h('div', { class: 'notice-ok', id: 'setup-created' }, t(allDone ? 'setup.createdLast' : 'setup.createdOne', { name: lastCreated.username, role: t(`role.${lastCreated.role}`) })));
  if (!token && !allDone) notices.push(h('div', { class: 'notice-warn', id: 'setup-no-token' }, t('setup.noToken')));

  const finished = allDone
    ? h('section', { class: 'setup-finished panel' }, h('div', { class: 'panel-body' }, h('h2', {}, t('setup.finishedTitle')), h('p', {}, t('setup.finished')), h('a', { href: '/#/login', class: 'btn btn-primary', id: 'setup-login-link' }, t('setup.toLogin'))))
    : null;

  replace(
    root,
    header,
    banner,
    h(
      'main',
      { class: 'setup-main' },
      h('h1', {}, t('setup.title')),
      allDone ? null : h('p', { class: 'muted' }, t('setup.lead')),
      notices,
      finished,
      intro,
      h('div', { class: 'setup-roles' }, cards),
      allDone ? null : h('p', { class: 'muted small' }, t('setup.passwordHint')),
    ),
  );
}

// The token is read when a form is sent, so a changed fragment needs no re-render (which
// would wipe what someone is typing); only the missing-token notice follows it.
window.addEventListener('hashchange', () => {
  const notice = document.getElementById('setup-no-token');
  if (notice) notice.hidden = Boolean(tokenFromHash());
});
render();
