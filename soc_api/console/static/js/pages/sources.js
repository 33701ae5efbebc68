// Log sources (日志源): every peer that sends logs, with volume, errors and silence.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtNum, loading } from '../dom.js';
import { sourcesTable } from './dashboard.js';

export async function render(root, ctx) {
  root.replaceChildren(loading());
  const data = await api.get('/api/v1/sources');
  if (!ctx.isCurrent()) return;
  const items = data.items || [];
  const silent = items.filter((s) => s.silent).length;
  replace(
    root,
    h(
      'div',
      { class: 'stat-row' },
      h('div', { class: 'stat-card' }, h('div', { class: 'stat-label' }, t('sources.total')), h('div', { class: 'stat-value' }, fmtNum(items.length))),
      h('div', { class: ['stat-card', silent ? 'stat-danger' : ''] }, h('div', { class: 'stat-label' }, t('sources.silent')), h('div', { class: 'stat-value' }, fmtNum(silent))),
      h('div', { class: 'stat-card' }, h('div', { class: 'stat-label' }, t('sources.records')), h('div', { class: 'stat-value' }, fmtNum(items.reduce((sum, s) => sum + (Number(s.records) || 0), 0)))),
      h('div', { class: 'stat-card' }, h('div', { class: 'stat-label' }, t('sources.errors')), h('div', { class: 'stat-value' }, fmtNum(items.reduce((sum, s) => sum + (Number(s.errors) || 0), 0)))),
    ),
    h('p', { class: 'muted small' }, t('sources.note')),
    h('div', { class: 'card flush' }, h('div', { class: 'table-wrap' }, sourcesTable(items))),
  );
}
