// The console shell: session, hash router, sidebar navigation filtered by permissions,
// header (user, roles, language, logout) and the DEMO ribbon.
import { api, onSessionExpired, setCsrfToken } from './api.js';
import { t, getLang, setLang, applyDocumentLang } from './i18n.js';
import { h, clear, replace, showError, hideError, loading, toast, modal, labelled } from './dom.js';
import * as loginPage from './pages/login.js';
import * as alertsPage from './pages/alerts.js';
import * as alertDetailPage from './pages/alert-detail.js';
import * as incidentsPage from './pages/incidents.js';
import * as incidentDetailPage from './pages/incident-detail.js';
import * as searchPage from './pages/search.js';
import * as dashboardPage from './pages/dashboard.js';
import * as mapPage from './pages/map.js';
import * as auditPage from './pages/audit.js';
import * as usersPage from './pages/users.js';
import * as rulesPage from './pages/rules.js';
import * as sourcesPage from './pages/sources.js';
import * as assetsPage from './pages/assets.js';
import * as compliancePage from './pages/compliance.js';
import * as reportsPage from './pages/reports.js';
import * as noticesPage from './pages/notices.js';
import * as responsePage from './pages/response.js';

const SESSION_MARK = 'shaowang.session';

// Sidebar: groups of [nav key, permission, icon path].
const NAV_GROUPS = [
  ['ops', [
    ['alerts', 'alerts:read', 'M12 3l9 16H3L12 3zm0 6v5m0 2.5v.5'],
    ['incidents', 'incidents:read', 'M5 4h10l4 4v12H5V4zm9 0v5h5M8 13h8M8 17h6'],
    ['response', 'playbooks:read', 'M13 2L4 14h7l-1 8 9-12h-7l1-8z'],
    ['search', 'events:read', 'M10.5 4a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13zm4.8 11.3L20 20'],
    ['reports', 'reports:read', 'M6 3h12v18H6V3zm3 5h6M9 11h6M9 14h3m4 2.5a2.5 2.5 0 1 1-5 0 2.5 2.5 0 0 1 5 0zM13.5 15.5v1l.8.6'],
    ['notices', 'notices:read', 'M4 10v4l11 5V5L4 10zm0 0h-1v4h1m11-5a3 3 0 0 1 0 6M7 15l1 5h3l-1-4'],
  ]],
  ['posture', [
    ['dashboard', 'dashboard:read', 'M4 4h7v7H4V4zm9 0h7v4h-7V4zm0 6h7v10h-7V10zM4 13h7v7H4v-7z'],
    ['map', 'graph:read', 'M6 6a2 2 0 1 0 0 .1M18 8a2 2 0 1 0 0 .1M12 18a2 2 0 1 0 0 .1M7.5 7l9 1.5M7 7.8l4 8.6M17 9.8l-4 6.6'],
    ['assets', 'assets:read', 'M4 4h16v6H4V4zm0 10h16v6H4v-6zM7.5 7h.01M7.5 17h.01M11 7h6M11 17h6'],
  ]],
  ['config', [
    ['rules', 'rules:read', 'M5 5h14M5 10h14M5 15h9M5 20h6m8-5l2 2 3-4'],
    ['sources', 'sources:read', 'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3'],
  ]],
  ['admin', [
    ['audit', 'audit:read', 'M6 3h9l3 3v15H6V3zm3 6h6M9 12h6M9 15h4'],
    ['users', 'users:read', 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm-6 9c0-3.3 2.7-6 6-6s6 2.7 6 6M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14.5c2 .8 3 2.8 3 5.5'],
  ]],
  ['compliance', [
    ['compliance', 'compliance:read', 'M12 3l8 3v6c0 4.6-3.4 8.2-8 9-4.6-.8-8-4.4-8-9V6l8-3zm-3.5 9.2l2.4 2.4 4.6-4.8'],
  ]],
];

// [path pattern, page, nav key, permission the page's first call needs].
const ROUTES = [
  [/^\/alerts$/, alertsPage, 'alerts', 'alerts:read'],
  [/^\/alerts\/([^/]+)$/, alertDetailPage, 'alerts', 'alerts:read'],
  [/^\/incidents$/, incidentsPage, 'incidents', 'incidents:read'],
  [/^\/incidents\/([^/]+)$/, incidentDetailPage, 'incidents', 'incidents:read'],
  [/^\/response$/, responsePage, 'response', 'playbooks:read'],
  [/^\/response\/runs\/([^/]+)$/, responsePage, 'response', 'playbooks:read'],
  [/^\/search$/, searchPage, 'search', 'events:read'],
  [/^\/reports$/, reportsPage, 'reports', 'reports:read'],
  [/^\/reports\/([^/]+)$/, reportsPage, 'reports', 'reports:read'],
  [/^\/notices$/, noticesPage, 'notices', 'notices:read'],
  [/^\/notices\/([^/]+)$/, noticesPage, 'notices', 'notices:read'],
  [/^\/dashboard$/, dashboardPage, 'dashboard', 'dashboard:read'],
  [/^\/map$/, mapPage, 'map', 'graph:read'],
  [/^\/assets$/, assetsPage, 'assets', 'assets:read'],
  [/^\/audit$/, auditPage, 'audit', 'audit:read'],
  [/^\/users$/, usersPage, 'users', 'users:read'],
  [/^\/rules$/, rulesPage, 'rules', 'rules:read'],
  [/^\/sources$/, sourcesPage, 'sources', 'sources:read'],
  [/^\/compliance$/, compliancePage, 'compliance', 'compliance:read'],
];

const state = {
  me: null,
  demo: false,
  cleanup: null,
  loginNotice: null, // 'expired' after a 401
  returnTo: null,
  shell: null, // {nav, main, title, sub}
  renderSeq: 0,
};

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs || '')) };
}

function can(permission) {
  return Boolean(state.me && (state.me.permissions || []).includes(permission));
}

/** The permission the page behind a console link ("#/search?q=…") needs, or null for no page. */
function routePermission(hash) {
  const path = String(hash || '').replace(/^#/, '').split('?')[0];
  const found = ROUTES.find(([re]) => re.test(path));
  return found ? found[3] : null;
}

function landing() {
  for (const [, items] of NAV_GROUPS) for (const [key, perm] of items) if (can(perm)) return `#/${key}`;
  return '#/alerts';
}

function markDemo(flagOrItems) {
  const hit = Array.isArray(flagOrItems) ? flagOrItems.some((x) => x && x.demo === true) : flagOrItems === true;
  if (hit && !state.demo) {
    state.demo = true;
    const ribbon = document.getElementById('demo-ribbon');
    if (ribbon) ribbon.hidden = false;
    document.body.classList.add('demo');
  }
}

function sessionExpired() {
  const current = parseHash().path;
  if (current !== '/login') state.returnTo = location.hash;
  state.me = null;
  state.shell = null;
  state.loginNotice = 'expired';
  if (location.hash !== '#/login') location.hash = '#/login';
  else route();
}

async function logout() {
  try {
    await api.post('/api/v1/auth/logout', {}, { noAuthRedirect: true });
  } catch {
    // The session may already be gone; signing out locally is what matters.
  }
  localStorage.removeItem(SESSION_MARK);
  setCsrfToken(null);
  state.me = null;
  state.shell = null;
  state.loginNotice = null;
  state.returnTo = null;
  location.hash = '#/login';
}

function changePassword() {
  const current = h('input', { type: 'password', id: 'password-current', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', id: 'password-new', autocomplete: 'new-password' });
  const confirm = h('input', { type: 'password', id: 'password-confirm', autocomplete: 'new-password' });
  const error = h('div', { class: 'form-error', hidden: true });
  const body = h('div', { class: 'form-grid' }, labelled(t('password.current'), current), labelled(t('password.new'), next), labelled(t('password.confirm'), confirm), error);
  modal(t('password.title'), body, [
    { label: t('common.cancel'), onClick: (close) => close() },
    {
      label: t('common.save'),
      primary: true,
      onClick: async (close) => {
        error.hidden = true;
        if (next.value !== confirm.value) {
          error.textContent = t('password.mismatch');
          error.hidden = false;
          return;
        }
        try {
          await api.post('/api/v1/auth/password', { current_password: current.value, new_password: next.value });
          close();
          toast(t('password.changed'));
        } catch (err) {
          error.textContent = err.detail || err.message;
          error.hidden = false;
        }
      },
    },
  ]);
}

function icon(path) {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'nav-icon');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(svgNs, 'path');
  p.setAttribute('d', path);
  svg.appendChild(p);
  return svg;
}

function brandMark() {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('class', 'brand-mark');
  svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of [
    ['path', { d: 'M16 2l12 5v8c0 7.5-5.1 13.2-12 15-6.9-1.8-12-7.5-12-15V7l12-5z', fill: '#1f6feb' }],
    ['path', { d: 'M16 9a7 7 0 0 1 7 7', stroke: '#9fd0ff', 'stroke-width': 2, fill: 'none', 'stroke-linecap': 'round' }],
    ['path', { d: 'M16 13a3 3 0 0 1 3 3', stroke: '#9fd0ff', 'stroke-width': 2, fill: 'none', 'stroke-linecap': 'round' }],
    ['circle', { cx: 16, cy: 16, r: 1.8, fill: '#ffffff' }],
  ]) {
    const el = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.appendChild(el);
  }
  return svg;
}

function buildShell(root) {
  const me = state.me;
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.menu') });
  for (const [group, items] of NAV_GROUPS) {
    const visible = items.filter(([, perm]) => can(perm));
    if (!visible.length) continue;
    nav.appendChild(h('div', { class: 'nav-group' }, t(`nav.group.${group}`)));
    for (const [key, , path] of visible) {
      nav.appendChild(h('a', { href: `#/${key}`, class: 'nav-link', 'data-nav': key }, icon(path), h('span', {}, t(`nav.${key}`))));
    }
  }
  const labels = me.role_labels || {};
  const roleNames = (me.roles || []).map((r) => (getLang() === 'zh-CN' && labels[r] ? labels[r] : t(`role.${r}`)));
  const title = h('h1', { class: 'page-title' });
  const sub = h('span', { class: 'page-sub' });
  const main = h('main', { class: 'main', id: 'main' });
  const banner = h(
    'div',
    { id: 'error-banner', class: 'error-banner', role: 'alert', hidden: true },
    h('span', { class: 'error-icon', 'aria-hidden': 'true' }, '!'),
    h('span', { class: 'error-text' }),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), onClick: hideError }, '×'),
  );
  replace(
    root,
    h(
      'div',
      { class: 'layout' },
      h(
        'aside',
        { class: 'sidebar' },
        h('div', { class: 'brand' }, brandMark(), h('div', { class: 'brand-text' }, h('div', { class: 'brand-name' }, t('app.name')), h('div', { class: 'brand-sub' }, t('app.tagline')))),
        nav,
        h('div', { class: 'sidebar-foot' }, t('app.footer')),
      ),
      h(
        'div',
        { class: 'workspace' },
        h(
          'header',
          { class: 'topbar' },
          h('div', { class: 'topbar-title' }, title, sub),
          h(
            'div',
            { class: 'topbar-user' },
            h('span', { id: 'current-user', class: 'current-user', title: me.username }, me.display_name ? `${me.display_name} (${me.username})` : me.username),
            h('span', { class: 'role-list', id: 'current-roles' }, roleNames.map((name, i) => h('span', { class: `chip role role-${me.roles[i]}` }, name))),
            h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'change-password', onClick: changePassword }, t('header.password')),
            h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'lang-switch', onClick: switchLang, title: t('header.lang') }, t('header.langOther')),
            h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'logout', onClick: logout }, t('header.logout')),
          ),
        ),
        banner,
        main,
      ),
    ),
  );
  state.shell = { nav, main, title, sub };
}

function switchLang() {
  setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN');
  state.shell = null;
  route();
}

async function loadMe() {
  try {
    state.me = await api.get('/api/v1/auth/me', undefined, { noAuthRedirect: true });
    localStorage.setItem(SESSION_MARK, '1');
    markDemo(state.me && state.me.demo === true);
    return true;
  } catch (err) {
    if (err.status === 503 && err.body && err.body.setup) return false; // on its way to /setup
    if (err.status === 401) {
      // Only a tab that had a session is told it expired; a first visit just signs in.
      state.loginNotice = localStorage.getItem(SESSION_MARK) ? 'expired' : null;
      if (!state.returnTo && parseHash().path !== '/login') state.returnTo = location.hash;
      location.hash = '#/login';
      return false;
    }
    const root = document.getElementById('app');
    replace(root, h('div', { class: 'fatal' }, h('h2', {}, t('err.startTitle')), h('p', {}, err.detail || err.message), h('button', { class: 'btn', onClick: () => route() }, t('common.retry'))));
    return false;
  }
}

async function onLoggedIn(login) {
  setCsrfToken(login && login.csrf_token);
  localStorage.setItem(SESSION_MARK, '1');
  state.loginNotice = null;
  state.shell = null;
  state.me = null;
  if (!(await loadMe())) return;
  const target = state.returnTo && !state.returnTo.startsWith('#/login') ? state.returnTo : landing();
  state.returnTo = null;
  if (location.hash === target) route();
  else location.hash = target;
}

async function route() {
  const seq = ++state.renderSeq;
  applyDocumentLang();
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch {
      // a page's cleanup must not stop navigation
    }
    state.cleanup = null;
  }
  document.querySelectorAll('dialog.modal').forEach((d) => d.remove());
  const root = document.getElementById('app');
  const { path, query } = parseHash();

  if (path === '/login') {
    state.shell = null;
    document.title = `${t('login.title')} · ${t('app.name')}`;
    loginPage.render(root, { notice: state.loginNotice, onLoggedIn, switchLang });
    return;
  }
  if (!state.me) {
    replace(root, h('div', { class: 'boot' }, loading()));
    if (!(await loadMe())) return;
    if (seq !== state.renderSeq) return;
  }
  const found = ROUTES.map(([re, page, nav, perm]) => ({ m: path.match(re), page, nav, perm })).find((r) => r.m);
  if (!found) {
    location.replace(landing());
    return;
  }
  if (!state.shell) buildShell(root);
  hideError();
  const { nav, main, title, sub } = state.shell;
  nav.querySelectorAll('a[data-nav]').forEach((a) => a.classList.toggle('active', a.dataset.nav === found.nav));
  title.textContent = t(`nav.${found.nav}`);
  sub.textContent = '';
  document.title = `${t(`nav.${found.nav}`)} · ${t('app.name')}`;
  const container = h('div', { class: `page page-${found.nav}` });
  replace(main, container);
  if (!can(found.perm)) {
    // A bookmarked or typed address the roles do not cover: say so without asking the API.
    showError({ status: 403, detail: t('err.forbidden', { perm: found.perm }) });
    container.appendChild(h('div', { class: 'page-error' }, t('err.pageForbidden')));
    return;
  }
  const ctx = {
    me: state.me,
    params: found.m.slice(1).map(decodeURIComponent),
    query,
    can,
    routePermission,
    markDemo,
    navigate: (hash) => {
      location.hash = hash;
    },
    // Update the hash query without re-rendering (filters, search terms).
    setQuery: (params) => {
      const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')).toString();
      history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
    },
    setSubtitle: (text) => {
      sub.textContent = text ? ` / ${text}` : '';
    },
    isCurrent: () => seq === state.renderSeq,
  };
  try {
    const cleanup = await found.page.render(container, ctx);
    if (typeof cleanup === 'function') {
      if (seq === state.renderSeq) state.cleanup = cleanup;
      else cleanup();
    }
  } catch (err) {
    if (err && err.sessionExpired) return;
    if (seq !== state.renderSeq) return;
    showError(err);
    if (!container.childNodes.length || container.querySelector('.loading')) {
      clear(container).appendChild(h('div', { class: 'page-error' }, t('err.pageFailed')));
    }
  }
}

onSessionExpired(sessionExpired);
window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => {
  const err = e.reason;
  if (err && err.name === 'ApiError' && !err.sessionExpired) {
    showError(err);
    e.preventDefault();
  }
});
applyDocumentLang();
route();
