// Sign-in page: username/password, the API's error text, and the session-expired notice.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';

export function render(root, { notice, onLoggedIn, switchLang }) {
  const username = h('input', { id: 'login-username', name: 'username', type: 'text', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { id: 'login-error', class: ['login-error', notice === 'expired' ? 'notice' : ''], role: 'alert', hidden: notice !== 'expired' });
  if (notice === 'expired') error.textContent = t('login.expired');
  const submit = h('button', { id: 'login-submit', type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));

  const form = h(
    'form',
    {
      class: 'login-form',
      novalidate: true,
      onSubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        error.classList.remove('notice');
        if (!username.value.trim() || !password.value) {
          error.textContent = t('login.missing');
          error.hidden = false;
          return;
        }
        submit.disabled = true;
        submit.textContent = t('login.signingIn');
        try {
          const result = await api.post('/api/v1/auth/login', { username: username.value.trim(), password: password.value }, { noAuthRedirect: true });
          await onLoggedIn(result);
        } catch (err) {
          error.textContent = err.detail || err.message;
          error.hidden = false;
          password.value = '';
          password.focus();
        } finally {
          submit.disabled = false;
          submit.textContent = t('login.submit');
        }
      },
    },
    h('h2', {}, t('login.title')),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.username')), username),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('login.password')), password),
    error,
    submit,
    h('p', { class: 'login-hint' }, t('login.hint')),
  );

  replace(
    root,
    h(
      'div',
      { class: 'login-page' },
      h(
        'div',
        { class: 'login-hero' },
        h('div', { class: 'login-brand' }, h('span', { class: 'login-logo' }, '哨'), h('div', {}, h('div', { class: 'login-name' }, t('app.name')), h('div', { class: 'login-tag' }, t('app.tagline')))),
        h('ul', { class: 'login-points' }, ['login.point1', 'login.point2', 'login.point3'].map((k) => h('li', {}, t(k)))),
        h('div', { class: 'login-foot' }, t('app.footer')),
      ),
      h(
        'div',
        { class: 'login-panel' },
        h('div', { class: 'login-top' }, h('button', { type: 'button', id: 'lang-switch', class: 'btn btn-ghost btn-sm', onClick: switchLang }, t('header.langOther'))),
        form,
        h('div', { id: 'error-banner', class: 'error-banner', role: 'alert', hidden: true }, h('span', { class: 'error-text' })),
      ),
    ),
  );
  if (!username.value) username.focus();
}
