// Small hand-written SVG charts: time line, time bars (histogram), stacked time bars and
// horizontal bar lists. Each returns an <svg> sized by its viewBox; CSS makes it fluid.
import { s, fmtNum } from './dom.js';

export const SEVERITY_COLORS = { 1: '#8b95a5', 2: '#3b82f6', 3: '#eab308', 4: '#f97316', 5: '#dc2626' };
export const PALETTE = ['#2f7de1', '#17a398', '#f59e0b', '#8b5cf6', '#ef4444', '#14b8a6', '#64748b', '#ec4899', '#84cc16', '#0ea5e9'];

const PAD = { top: 12, right: 12, bottom: 24, left: 48 };

/** A "nice" step: 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw && (m !== 2.5 || power >= 10)) return m * power;
  return 10 * power;
}

/** Axis top and tick count for data up to `value`: the tightest of 3, 4 or 5 nice ticks. */
export function niceScale(value) {
  if (!(value > 0)) return { top: 1, ticks: 4 };
  let best = null;
  for (const ticks of [4, 5, 3]) {
    const top = niceStep(value / ticks) * ticks;
    if (!best || top < best.top) best = { top, ticks };
  }
  return best;
}

function compact(n) {
  const v = Number(n);
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(1).replace(/\.0$/, '')}G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1).replace(/\.0$/, '')}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1).replace(/\.0$/, '')}k`;
  return fmtNum(v, v < 10 && v % 1 ? 2 : 0);
}

const pad2 = (n) => String(n).padStart(2, '0');

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 2 * 86400e3) return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  if (spanMs > 86400e3) return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:00`;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

function fullTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

function frame(width, height, scale, className) {
  const maxY = scale.top;
  const svg = s('svg', {
    class: ['chart', className],
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
  });
  const innerH = height - PAD.top - PAD.bottom;
  const grid = s('g', { class: 'chart-grid' });
  for (let i = 0; i <= scale.ticks; i += 1) {
    const y = PAD.top + innerH - (innerH * i) / scale.ticks;
    grid.appendChild(s('line', { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y }));
    grid.appendChild(s('text', { x: PAD.left - 6, y: y + 3, 'text-anchor': 'end', class: 'chart-tick' }, compact((maxY * i) / scale.ticks)));
  }
  svg.appendChild(grid);
  return svg;
}

function xLabels(svg, times, width, height, xOf) {
  if (!times.length) return;
  const span = times[times.length - 1] - times[0];
  const count = Math.min(6, times.length);
  const g = s('g', { class: 'chart-x' });
  for (let i = 0; i < count; i += 1) {
    const idx = count === 1 ? 0 : Math.round((i * (times.length - 1)) / (count - 1));
    const x = xOf(idx);
    const anchor = i === 0 ? 'start' : i === count - 1 ? 'end' : 'middle';
    g.appendChild(s('text', { x, y: height - 6, 'text-anchor': anchor, class: 'chart-tick' }, timeLabel(times[idx], span)));
  }
  svg.appendChild(g);
}

function emptyChart(width, height, message, className) {
  return s(
    'svg',
    { class: ['chart', 'chart-empty', className], viewBox: `0 0 ${width} ${height}` },
    s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty-text' }, message),
  );
}

/** Line chart of [{t, v}] (t: ISO time); `unit` is appended to hover labels. */
export function lineChart(points, { width = 600, height = 180, color = PALETTE[0], empty = '—', unit = '', className } = {}) {
  if (!points || !points.length) return emptyChart(width, height, empty, className);
  const times = points.map((p) => new Date(p.t).getTime());
  const scale = niceScale(Math.max(...points.map((p) => Number(p.v) || 0)));
  const maxY = scale.top;
  const svg = frame(width, height, scale, className);
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const xOf = (i) => PAD.left + (points.length === 1 ? innerW / 2 : (innerW * i) / (points.length - 1));
  const yOf = (v) => PAD.top + innerH - (innerH * (Number(v) || 0)) / maxY;
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${xOf(i).toFixed(1)},${yOf(p.v).toFixed(1)}`).join('');
  const area = `${path}L${xOf(points.length - 1).toFixed(1)},${PAD.top + innerH}L${xOf(0).toFixed(1)},${PAD.top + innerH}Z`;
  svg.appendChild(s('path', { d: area, fill: color, opacity: 0.12 }));
  svg.appendChild(s('path', { d: path, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
  const dots = s('g', { class: 'chart-hover' });
  points.forEach((p, i) => {
    dots.appendChild(
      s('circle', { cx: xOf(i), cy: yOf(p.v), r: 3, fill: color }, s('title', {}, `${fullTime(times[i])}  ${fmtNum(p.v, 2)}${unit}`)),
    );
  });
  svg.appendChild(dots);
  xLabels(svg, times, width, height, xOf);
  return svg;
}

/** Bar chart of time buckets [{t, count}]; onBar(bucket, index) makes bars clickable. */
export function barChart(buckets, { width = 900, height = 150, color = PALETTE[0], empty = '—', onBar, className, id } = {}) {
  if (!buckets || !buckets.length) {
    const svg = emptyChart(width, height, empty, className);
    if (id) svg.setAttribute('id', id);
    return svg;
  }
  const times = buckets.map((b) => new Date(b.t).getTime());
  const scale = niceScale(Math.max(...buckets.map((b) => Number(b.count) || 0)));
  const maxY = scale.top;
  const svg = frame(width, height, scale, className);
  if (id) svg.setAttribute('id', id);
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const slot = innerW / buckets.length;
  const barW = Math.max(1, slot * 0.8);
  const g = s('g', { class: onBar ? 'chart-bars clickable' : 'chart-bars' });
  buckets.forEach((b, i) => {
    const hgt = (innerH * (Number(b.count) || 0)) / maxY;
    const rect = s(
      'rect',
      { x: PAD.left + i * slot + (slot - barW) / 2, y: PAD.top + innerH - hgt, width: barW, height: Math.max(0, hgt), fill: color, 'data-count': b.count },
      s('title', {}, `${fullTime(times[i])}  ${fmtNum(b.count)}`),
    );
    if (onBar) rect.addEventListener('click', () => onBar(b, i));
    g.appendChild(rect);
  });
  svg.appendChild(g);
  xLabels(svg, times, width, height, (i) => PAD.left + i * slot + slot / 2);
  return svg;
}

/**
 * Stacked bars: rows [{t, values: {key: n}}], keys in stacking order (bottom first),
 * colors {key: css}, labels {key: text} for the legend and hover text.
 */
export function stackedBars(rows, keys, { colors = {}, labels = {}, width = 600, height = 180, empty = '—', className } = {}) {
  if (!rows || !rows.length) return emptyChart(width, height, empty, className);
  const totals = rows.map((r) => keys.reduce((sum, k) => sum + (Number(r.values[k]) || 0), 0));
  const scale = niceScale(Math.max(...totals));
  const maxY = scale.top;
  const svg = frame(width, height, scale, className);
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const slot = innerW / rows.length;
  const barW = Math.max(1, slot * 0.75);
  const times = rows.map((r) => new Date(r.t).getTime());
  rows.forEach((row, i) => {
    let y = PAD.top + innerH;
    const g = s('g', {});
    const lines = [fullTime(times[i])];
    for (const key of keys) {
      const v = Number(row.values[key]) || 0;
      if (!v) continue;
      const hgt = (innerH * v) / maxY;
      y -= hgt;
      g.appendChild(s('rect', { x: PAD.left + i * slot + (slot - barW) / 2, y, width: barW, height: hgt, fill: colors[key] || '#999' }));
      lines.push(`${labels[key] || key}: ${fmtNum(v)}`);
    }
    g.appendChild(s('title', {}, lines.join('\n')));
    svg.appendChild(g);
  });
  xLabels(svg, times, width, height, (i) => PAD.left + i * slot + slot / 2);
  return svg;
}

/**
 * Horizontal bar list: items [{label, value, color?, note?}], longest bar = max value.
 * Used for per-dataset rates, top sources and dead-letter reasons.
 */
export function hbarList(items, { width = 420, rowH = 22, labelW = 150, color = PALETTE[0], empty = '—', format = (v) => fmtNum(v), className } = {}) {
  if (!items || !items.length) return emptyChart(width, 60, empty, className);
  const height = items.length * rowH + 6;
  const maxV = Math.max(...items.map((it) => Number(it.value) || 0)) || 1;
  const svg = s('svg', { class: ['chart', 'chart-hbar', className], viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const valueW = 70;
  const barMax = width - labelW - valueW - 8;
  items.forEach((it, i) => {
    const y = 3 + i * rowH;
    const label = String(it.label);
    const short = label.length > 22 ? `${label.slice(0, 21)}…` : label;
    const g = s('g', {}, s('title', {}, `${label}: ${format(it.value)}${it.note ? ` (${it.note})` : ''}`));
    g.appendChild(s('text', { x: labelW - 6, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, short));
    g.appendChild(s('rect', { x: labelW, y: y + 4, width: barMax, height: rowH - 8, class: 'chart-track', rx: 2 }));
    g.appendChild(
      s('rect', { x: labelW, y: y + 4, width: Math.max(1, (barMax * (Number(it.value) || 0)) / maxV), height: rowH - 8, fill: it.color || color, rx: 2 }),
    );
    g.appendChild(s('text', { x: width - 4, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'chart-value' }, format(it.value)));
    svg.appendChild(g);
  });
  return svg;
}

/** Legend row for colour keys. */
export function legend(keys, colors, labels) {
  const svg = s('svg', { class: 'chart-legend', viewBox: `0 0 ${keys.length * 80} 16`, width: keys.length * 80, height: 16 });
  keys.forEach((k, i) => {
    svg.appendChild(s('rect', { x: i * 80, y: 3, width: 10, height: 10, rx: 2, fill: colors[k] }));
    svg.appendChild(s('text', { x: i * 80 + 14, y: 12, class: 'chart-label' }, labels[k] || k));
  });
  return svg;
}
