// DOM and formatting helpers shared by every page.
// Everything that comes from logs is attacker-controlled, so text is only ever set through
// text nodes and attributes, never through innerHTML.
import { t } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'indeterminate', 'open', 'hidden']);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

function assign(el, attrs, isSvg) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'style' && typeof value === 'object') {
      // CSSOM, not a style attribute, so a strict Content-Security-Policy still allows it.
      Object.assign(el.style, value);
    } else if (key === 'dataset') {
      for (const [name, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[name] = v;
    } else if (!isSvg && PROPS.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** An HTML element: h('div', {class: 'x', onClick: fn}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  assign(el, attrs, false);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  assign(el, attrs, true);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local wall-clock time "YYYY-MM-DD HH:mm:ss" of an ISO string or epoch seconds. */
export function fmtTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** Value for an <input type="datetime-local"> from a Date. */
export function toLocalInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** ISO UTC string from a datetime-local value (which is local time), or null. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function fmtNum(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const sec = Math.round(Number(seconds));
  if (sec < 60) return t('unit.seconds', { n: sec });
  if (sec < 3600) return t('unit.minutes', { n: Math.round(sec / 60) });
  if (sec < 86400) return t('unit.hours', { n: (sec / 3600).toFixed(1).replace(/\.0$/, '') });
  return t('unit.days', { n: (sec / 86400).toFixed(1).replace(/\.0$/, '') });
}

/** A field of an ECS event, whether stored nested ({source: {ip}}) or flat ({"source.ip"}). */
export function field(obj, path) {
  if (!obj || typeof obj !== 'object') return undefined;
  if (path in obj) return obj[path];
  let cur = obj;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i += 1) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rest = parts.slice(i).join('.');
    if (rest in cur) return cur[rest];
    cur = cur[parts[i]];
  }
  return cur;
}

export function display(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function sevChip(sev) {
  const n = Math.min(5, Math.max(1, Number(sev) || 1));
  return h('span', { class: `chip sev sev-${n}`, title: `severity ${n}` }, t(`sev.${n}`));
}

export function statusChip(status) {
  return h('span', { class: `chip status status-${status || 'none'}` }, status ? t(`status.${status}`) : '—');
}

export function roleChips(roles) {
  return (roles || []).map((r) => h('span', { class: `chip role role-${r}` }, t(`role.${r}`)));
}

export function demoTag() {
  return h('span', { class: 'chip demo-tag', title: t('demo.title') }, 'DEMO');
}

export function emptyState(message, hint) {
  return h(
    'div',
    { class: 'empty' },
    h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, '∅'),
    h('div', { class: 'empty-text' }, message),
    hint ? h('div', { class: 'empty-hint' }, hint) : null,
  );
}

export function loading() {
  return h('div', { class: 'loading' }, h('span', { class: 'spinner' }), t('common.loading'));
}

export function inlineError(err) {
  return h('div', { class: 'inline-error' }, errorText(err));
}

export function errorText(err) {
  if (!err) return '';
  if (err.status) return `${err.status} · ${err.detail || err.message}`;
  return err.detail || err.message || String(err);
}

/** Show an API error (its detail text) in the page-wide #error-banner. */
export function showError(err) {
  const banner = document.getElementById('error-banner');
  if (!banner) return;
  const text = banner.querySelector('.error-text');
  (text || banner).textContent = errorText(err);
  banner.hidden = false;
}

export function hideError() {
  const banner = document.getElementById('error-banner');
  if (banner) banner.hidden = true;
}

let toastTimer = null;
export function toast(message, kind = 'ok') {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'status' });
    document.body.appendChild(el);
  }
  el.className = `toast toast-${kind} show`;
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2600);
}

/** Pagination bar: "1–50 / 123" and previous/next buttons. */
export function pager(total, offset, limit, onPage) {
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(total, offset + limit);
  return h(
    'div',
    { class: 'pager' },
    h('span', { class: 'pager-info' }, t('pager.range', { from, to, total: fmtNum(total) })),
    h('button', { class: 'btn btn-sm', disabled: offset <= 0, onClick: () => onPage(Math.max(0, offset - limit)) }, t('pager.prev')),
    h('button', { class: 'btn btn-sm', disabled: offset + limit >= total, onClick: () => onPage(offset + limit) }, t('pager.next')),
  );
}

/** A <select> from [value, label] pairs, with the current value selected. */
export function select(attrs, options, current) {
  const el = h('select', attrs);
  for (const [value, label] of options) {
    el.appendChild(h('option', { value, selected: String(value) === String(current ?? '') }, label));
  }
  return el;
}

/** A labelled form field wrapper. */
export function labelled(label, control, extraClass) {
  return h('label', { class: ['field', extraClass] }, h('span', { class: 'field-label' }, label), control);
}

/** Pretty JSON in a <pre>, escaped by construction. */
export function jsonBlock(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/** Panel with a title bar and a body. */
export function panel(title, body, actions) {
  return h(
    'section',
    { class: 'panel' },
    h('header', { class: 'panel-head' }, h('h3', {}, title), actions ? h('div', { class: 'panel-actions' }, actions) : null),
    h('div', { class: 'panel-body' }, body),
  );
}

/** A safe external/internal link: only http(s) and relative URLs become <a>. */
export function safeLink(url, label) {
  if (typeof url === 'string' && /^(https?:\/\/|\/|#)/i.test(url)) {
    return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label || url);
  }
  return h('span', {}, display(url));
}

/**
 * A modal dialog. body: element; actions: [{label, primary?, onClick(close)}]. Returns close().
 * Clicking outside or pressing Escape closes it.
 */
export function modal(title, body, actions = []) {
  const dialog = h('dialog', { class: 'modal' });
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  const buttons = actions.map((a) =>
    h('button', { type: 'button', class: ['btn', a.primary ? 'btn-primary' : '', a.danger ? 'btn-danger' : ''], id: a.id, onClick: () => a.onClick(close) }, a.label),
  );
  dialog.append(
    h('header', { class: 'modal-head' }, h('h3', {}, title), h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), onClick: close }, '×')),
    h('div', { class: 'modal-body' }, body),
    h('footer', { class: 'modal-foot' }, buttons),
  );
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return close;
}

/**
 * Guard for reloads that can overlap (filters changed while a request is in flight):
 * `const next = latestOnly();` then in each load `const fresh = next();` and, after every
 * await, drop the answer unless `fresh()`.
 */
export function latestOnly() {
  let seq = 0;
  return () => {
    seq += 1;
    const mine = seq;
    return () => mine === seq;
  };
}
