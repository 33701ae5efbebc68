// User management (system admin): list, create with roles, disable/enable, reset password.
// The server enforces 三员分立; its 409 detail is shown as is.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtTime, emptyState, loading, inlineError, showError, toast, display, roleChips, labelled, modal, latestOnly } from '../dom.js';

export const ROLES = ['analyst', 'network_admin', 'security_admin', 'system_admin', 'audit_admin', 'compliance_officer'];
const ADMIN_ROLES = new Set(['system_admin', 'security_admin', 'audit_admin']);

function roleChecks(current = []) {
  const boxes = {};
  const el = h(
    'div',
    { class: 'role-checks', id: 'user-roles' },
    ROLES.map((role) => {
      boxes[role] = h('input', { type: 'checkbox', name: 'roles', value: role, checked: current.includes(role) });
      return h('label', { class: ['check-label', ADMIN_ROLES.has(role) ? 'admin-role' : ''] }, boxes[role], ' ', t(`role.${role}`), ADMIN_ROLES.has(role) ? h('span', { class: 'muted small' }, ` (${t('users.adminRole')})`) : null);
    }),
  );
  return { el, value: () => ROLES.filter((r) => boxes[r].checked) };
}

function createUser(onDone) {
  const username = h('input', { id: 'user-username', type: 'text', autocomplete: 'off' });
  const displayName = h('input', { id: 'user-display-name', type: 'text' });
  const password = h('input', { id: 'user-password', type: 'password', autocomplete: 'new-password' });
  const confirm = h('input', { id: 'user-password-confirm', type: 'password', autocomplete: 'new-password' });
  const roles = roleChecks(['analyst']);
  const error = h('div', { class: 'form-error', id: 'user-form-error', hidden: true });
  modal(
    t('users.create'),
    h(
      'div',
      { class: 'form-grid' },
      labelled(t('users.username'), username),
      labelled(t('users.displayName'), displayName),
      labelled(t('users.password'), password),
      labelled(t('users.confirm'), confirm),
      labelled(t('users.roles'), roles.el),
      h('p', { class: 'form-hint' }, t('users.separationHint')),
      error,
    ),
    [
      { label: t('common.cancel'), onClick: (close) => close() },
      {
        label: t('common.create'),
        primary: true,
        id: 'user-create-submit',
        onClick: async (close) => {
          error.hidden = true;
          if (password.value !== confirm.value) {
            error.textContent = t('password.mismatch');
            error.hidden = false;
            return;
          }
          const body = { username: username.value.trim(), password: password.value, roles: roles.value() };
          if (displayName.value.trim()) body.display_name = displayName.value.trim();
          try {
            await api.post('/api/v1/users', body);
            close();
            toast(t('users.created', { name: body.username }));
            onDone();
          } catch (err) {
            if (err.sessionExpired) return;
            error.textContent = err.detail || err.message;
            error.hidden = false;
            showError(err);
          }
        },
      },
    ],
  );
  username.focus();
}

function editRoles(user, onDone) {
  const roles = roleChecks(user.roles || []);
  const displayName = h('input', { id: 'user-edit-display-name', type: 'text', value: user.display_name || '' });
  const error = h('div', { class: 'form-error', hidden: true });
  modal(t('users.edit', { name: user.username }), h('div', { class: 'form-grid' }, labelled(t('users.displayName'), displayName), labelled(t('users.roles'), roles.el), h('p', { class: 'form-hint' }, t('users.separationHint')), error), [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.save'),
      primary: true,
      id: 'user-edit-submit',
      onClick: async (close) => {
        try {
          await api.patch(`/api/v1/users/${encodeURIComponent(user.username)}`, { roles: roles.value(), display_name: displayName.value.trim() || null });
          close();
          toast(t('common.saved'));
          onDone();
        } catch (err) {
          if (err.sessionExpired) return;
          error.textContent = err.detail || err.message;
          error.hidden = false;
          showError(err);
        }
      },
    },
  ]);
}

function resetPassword(user) {
  const password = h('input', { id: 'reset-password', type: 'password', autocomplete: 'new-password' });
  const confirm = h('input', { id: 'reset-password-confirm', type: 'password', autocomplete: 'new-password' });
  const error = h('div', { class: 'form-error', hidden: true });
  modal(t('users.resetTitle', { name: user.username }), h('div', { class: 'form-grid' }, labelled(t('password.new'), password), labelled(t('password.confirm'), confirm), h('p', { class: 'form-hint' }, t('users.resetHint')), error), [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('users.reset'),
      primary: true,
      id: 'reset-password-submit',
      onClick: async (close) => {
        if (password.value !== confirm.value) {
          error.textContent = t('password.mismatch');
          error.hidden = false;
          return;
        }
        try {
          await api.post(`/api/v1/users/${encodeURIComponent(user.username)}/password`, { password: password.value });
          close();
          toast(t('users.resetDone', { name: user.username }));
        } catch (err) {
          if (err.sessionExpired) return;
          error.textContent = err.detail || err.message;
          error.hidden = false;
        }
      },
    },
  ]);
  password.focus();
}

export async function render(root, ctx) {
  const body = h('div', { class: 'table-wrap' }, loading());
  const canManage = ctx.can('users:manage');
  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('p', { class: 'muted small grow' }, t('users.intro')),
      canManage ? h('button', { class: 'btn btn-primary', id: 'user-create', onClick: () => createUser(load) }, `+ ${t('users.create')}`) : null,
    ),
    h('div', { class: 'card flush' }, body),
  );

  async function toggleDisabled(user) {
    try {
      await api.patch(`/api/v1/users/${encodeURIComponent(user.username)}`, { disabled: !user.disabled });
      toast(user.disabled ? t('users.enabled', { name: user.username }) : t('users.disabledDone', { name: user.username }));
      load();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  }

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/users');
      if (!ctx.isCurrent() || !fresh()) return;
      const items = data.items || [];
      if (!items.length) {
        replace(body, emptyState(t('users.empty')));
        return;
      }
      const now = Date.now();
      replace(
        body,
        h(
          'table',
          { class: 'table', id: 'users-table' },
          h('thead', {}, h('tr', {}, ['users.username', 'users.displayName', 'users.roles', 'users.state', 'users.createdAt', 'users.actions'].map((k) => h('th', {}, t(k))))),
          h(
            'tbody',
            {},
            items.map((u) => {
              const locked = u.locked_until && new Date(u.locked_until).getTime() > now;
              return h(
                'tr',
                { 'data-username': u.username, class: u.disabled ? 'row-muted' : '' },
                h('td', { class: 'mono strong' }, u.username),
                h('td', {}, display(u.display_name)),
                h('td', {}, roleChips(u.roles)),
                h(
                  'td',
                  {},
                  u.disabled ? h('span', { class: 'chip chip-danger' }, t('users.disabled')) : h('span', { class: 'chip chip-ok' }, t('users.active')),
                  locked ? h('span', { class: 'chip chip-warn', title: fmtTime(u.locked_until) }, t('users.locked')) : null,
                ),
                h('td', { class: 'nowrap' }, fmtTime(u.created_at)),
                h(
                  'td',
                  { class: 'actions' },
                  canManage
                    ? [
                        h('button', { class: 'btn btn-sm', 'data-act': 'edit', onClick: () => editRoles(u, load) }, t('users.editBtn')),
                        h('button', { class: ['btn', 'btn-sm', u.disabled ? '' : 'btn-danger-ghost'], 'data-act': u.disabled ? 'enable' : 'disable', onClick: () => toggleDisabled(u) }, u.disabled ? t('users.enable') : t('users.disable')),
                        h('button', { class: 'btn btn-sm', 'data-act': 'reset-password', onClick: () => resetPassword(u) }, t('users.reset')),
                      ]
                    : '—',
                ),
              );
            }),
          ),
        ),
      );
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(body, inlineError(err));
    }
  }
  await load();
}
