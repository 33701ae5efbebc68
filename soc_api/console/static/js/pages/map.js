// Threat map (威胁态势图): zones as labelled boxes in a grid (internet zone on top), hosts as
// circles coloured by risk, observed flows as lines. Layout is deterministic: zones in a fixed
// order, hosts sorted by subnet then address. Wheel zooms, drag pans, click opens #node-panel.
import { api, settle } from '../api.js';
import { t, getLang } from '../i18n.js';
import { h, s, replace, fmtTime, fmtNum, fmtBytes, emptyState, loading, inlineError, select, showError, display, sevChip, statusChip, latestOnly } from '../dom.js';

const CELL = 26;
const PADX = 16;
const HEADER = 34;
const GAP = 36;
const MIN_ZONE_W = 210;
const ZONE_ORDER = ['internet', 'dmz', 'public', 'private', 'management'];
const CONTAINER_KINDS = new Set(['zone', 'subnet']);
// Hosts the register puts in no zone are split by address: public ones are drawn with the
// internet, private ones last.
const EXTERNAL = '\u0000external';
const INTERNAL = '\u0000internal';
const FULL_WIDTH = new Set(['internet', EXTERNAL]);

// Raw risk is a decaying sum of alert scores (medium alert = 50) with no upper bound.
const RISK_SATURATION = 100;
const LEGEND_MAX = 300;
const MIN_RISK_CHOICES = ['1', '25', '50', '100', '200', '500', '1000'];

/** Colour scale 0–100 of a raw risk: 100·(1−e^(−risk/100)), so sums in the thousands stay on scale. */
export function riskScore(risk) {
  const r = Math.max(0, Number(risk) || 0);
  return 100 * (1 - Math.exp(-r / RISK_SATURATION));
}

/**
 * Green at 0, yellow-orange for one medium alert (50 → 39), red from one critical alert (100 → 63)
 * and deep red only for hosts hit again and again. The hue falls with the square of the scale
 * so the yellow band is narrow and the reds are spread over the heavy end.
 */
export function riskColor(risk) {
  const score = riskScore(risk);
  const hue = 120 * (1 - score / 100) ** 2;
  const light = score <= 0 ? 40 : 46 - 12 * Math.max(0, (score - 60) / 40);
  return `hsl(${Math.round(hue)}, 74%, ${Math.round(light)}%)`;
}

/** CSS gradient of riskColor over raw risk 0…LEGEND_MAX, for the legend. */
export function riskGradient() {
  const stops = [];
  for (let r = 0; r <= LEGEND_MAX; r += 15) stops.push(`${riskColor(r)} ${((100 * r) / LEGEND_MAX).toFixed(1)}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}

/** Sort key for addresses: IPv4 numerically, then IPv6 and anything else as text. */
export function ipKey(ip) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(String(ip));
  if (m) return `4${m.slice(1).map((o) => o.padStart(3, '0')).join('.')}`;
  return `6${String(ip).toLowerCase()}`;
}

/** True for RFC 1918, loopback, link-local, CGNAT and IPv6 ULA / link-local / loopback addresses. */
export function isPrivate(ip) {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(String(ip));
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  const v6 = String(ip).toLowerCase();
  return v6 === '::1' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}

function groupOf(node) {
  if (node.zone) return node.zone;
  return isPrivate(node.ip) ? INTERNAL : EXTERNAL;
}

function zoneRank(zone) {
  if (zone === 'internet') return [0, ''];
  if (zone === EXTERNAL) return [1, ''];
  if (zone === INTERNAL) return [4, ''];
  const i = ZONE_ORDER.indexOf(zone);
  return i >= 0 ? [2, String(i).padStart(3, '0')] : [3, String(zone)];
}

/** Internet (and unzoned public hosts) first, the default zones, site zones by id, then the rest. */
function compareZones(a, b) {
  const [ra, ka] = zoneRank(a);
  const [rb, kb] = zoneRank(b);
  return ra - rb || ka.localeCompare(kb);
}

/**
 * Positions for every address node: {zones: [{id, x, y, w, h, nodes}], pos: Map(ip → {x, y}),
 * width, height}. Pure function of the graph, so the same graph always draws the same map.
 * The internet zone spans the top row; the other zones are packed in rows below it.
 */
export function layout(nodes) {
  const groups = new Map();
  for (const n of nodes) {
    const z = groupOf(n);
    if (!groups.has(z)) groups.set(z, []);
    groups.get(z).push(n);
  }
  const ids = [...groups.keys()].sort(compareZones);
  const sized = ids.map((id) => {
    const members = groups.get(id).sort((a, b) => String(a.subnet || '').localeCompare(String(b.subnet || '')) || ipKey(a.ip).localeCompare(ipKey(b.ip)));
    const cols = Math.max(5, Math.min(24, Math.ceil(Math.sqrt(members.length * 2.2))));
    return { id, nodes: members, cols };
  });
  const widthOf = (z) => Math.max(MIN_ZONE_W, z.cols * CELL + 2 * PADX);
  const rowWidth = Math.max(1100, ...sized.filter((z) => !FULL_WIDTH.has(z.id)).map(widthOf));
  const heightOf = (z, w) => HEADER + Math.max(1, Math.ceil(z.nodes.length / Math.floor((w - 2 * PADX) / CELL))) * CELL + PADX;
  const zones = [];
  let y = 0;
  for (const z of sized.filter((item) => FULL_WIDTH.has(item.id))) {
    const zh = heightOf(z, rowWidth);
    zones.push({ ...z, x: 0, y, w: rowWidth, h: zh });
    y += zh + GAP;
  }
  let x = 0;
  let rowH = 0;
  for (const z of sized.filter((item) => !FULL_WIDTH.has(item.id))) {
    const w = widthOf(z);
    const zh = heightOf(z, w);
    if (x > 0 && x + w > rowWidth) {
      x = 0;
      y += rowH + GAP;
      rowH = 0;
    }
    zones.push({ ...z, x, y, w, h: zh });
    x += w + GAP;
    rowH = Math.max(rowH, zh);
  }
  const height = zones.length ? Math.max(...zones.map((z) => z.y + z.h)) : 0;
  const pos = new Map();
  for (const z of zones) {
    const cols = Math.max(1, Math.floor((z.w - 2 * PADX) / CELL));
    z.nodes.forEach((n, i) => {
      pos.set(n.ip, { x: z.x + PADX + (i % cols) * CELL + CELL / 2, y: z.y + HEADER + Math.floor(i / cols) * CELL + CELL / 2 });
    });
  }
  return { zones, pos, width: rowWidth, height };
}

/** One line per (source, target) pair: counts and bytes summed over services, highest risk. */
export function pairs(edges) {
  const byPair = new Map();
  for (const e of edges) {
    const key = `${e.source}\u0000${e.target}`;
    let p = byPair.get(key);
    if (!p) {
      p = { source: e.source, target: e.target, count: 0, bytes: 0, risk: 0, services: [], last_seen: null };
      byPair.set(key, p);
    }
    p.count += Number(e.count) || 0;
    p.bytes += Number(e.bytes) || 0;
    p.risk = Math.max(p.risk, Number(e.risk) || 0);
    p.services.push(e.port === null || e.port === undefined ? e.transport : `${e.transport}/${e.port}`);
    if (!p.last_seen || (e.last_seen && e.last_seen > p.last_seen)) p.last_seen = e.last_seen;
  }
  return [...byPair.values()];
}

/** Rough drawn width of a label: CJK glyphs are about twice as wide as Latin ones. */
function textWidth(text, px) {
  let w = 0;
  for (const ch of String(text)) w += ch.charCodeAt(0) > 0x2e80 ? px : px * 0.58;
  return w;
}

export async function render(root, ctx) {
  root.classList.add('page-fill');
  const wantedRisk = /^\d+(\.\d+)?$/.test(ctx.query.min_risk || '') ? ctx.query.min_risk : '0';
  const riskChoices = MIN_RISK_CHOICES.includes(wantedRisk) || wantedRisk === '0' ? MIN_RISK_CHOICES : [...MIN_RISK_CHOICES, wantedRisk].sort((a, b) => a - b);
  const minRisk = select({ id: 'map-min-risk' }, [['0', t('map.allRisk')], ...riskChoices.map((v) => [v, `≥ ${v}`])], wantedRisk);
  const zoneSel = h('select', { id: 'map-zone' }, h('option', { value: '' }, t('map.allZones')));
  const find = h('input', { id: 'map-find', type: 'search', class: 'mono', placeholder: t('map.findPh') });
  const stats = h('span', { class: 'muted small', id: 'map-stats' });
  const stage = h('div', { class: 'map-stage' }, loading());
  const tooltip = h('div', { class: 'map-tooltip', hidden: true });
  const nodePanel = h('aside', { id: 'node-panel', class: 'node-panel', hidden: true });
  const zoomButtons = h(
    'div',
    { class: 'map-zoom' },
    h('button', { class: 'btn btn-sm', title: t('map.zoomIn'), onClick: () => zoomBy(0.8) }, '+'),
    h('button', { class: 'btn btn-sm', title: t('map.zoomOut'), onClick: () => zoomBy(1.25) }, '−'),
    h('button', { class: 'btn btn-sm', title: t('map.fit'), onClick: () => fit() }, t('map.fit')),
  );
  const legendBar = h(
    'div',
    { class: 'map-legend', id: 'map-legend', title: t('map.legendRisk') },
    h('span', {}, t('map.risk')),
    h('span', { class: 'legend-scale' }, h('span', { class: 'risk-gradient', style: { background: riskGradient() } }), h('span', { class: 'legend-ticks' }, ['0', '100', '200', `≥${LEGEND_MAX}`].map((v) => h('span', {}, v)))),
    h('span', { class: 'legend-sep' }),
    h('span', {}, t('map.legendEdge')),
  );
  const legendNote = h('div', { class: 'map-legend-note muted small', id: 'map-legend-note' }, t('map.legendRisk'), ' ', h('span', { class: 'nowrap' }, `(${t('map.legendHint')})`));
  replace(
    root,
    h('div', { class: 'toolbar' }, h('label', { class: 'tb-field' }, h('span', {}, t('map.minRisk')), minRisk), h('label', { class: 'tb-field' }, h('span', {}, t('map.zone')), zoneSel), find, h('button', { class: 'btn', onClick: () => locate(find.value.trim()) }, t('map.locate')), h('span', { class: 'grow' }), stats, legendBar),
    legendNote,
    h('div', { class: 'map-wrap' }, h('div', { class: 'map-canvas' }, stage, tooltip, zoomButtons), nodePanel),
  );

  // Zone names, the asset record and the alerts of a node are other permissions than the map's.
  const canAssets = ctx.can('assets:read');
  const canAlerts = ctx.can('alerts:read');
  const [zonesResult] = await settle([canAssets ? api.get('/api/v1/zones') : Promise.resolve({ zones: [] })]);
  const zoneNames = {};
  if (zonesResult.ok) for (const z of zonesResult.value.zones || []) zoneNames[z.id] = z.name;
  const zoneLabel = (id) => {
    if (id === EXTERNAL) return t('map.externalNoZone');
    if (id === INTERNAL || !id) return t('map.noZone');
    if (getLang() === 'zh-CN' && zoneNames[id]) return zoneNames[id];
    return t(`zone.${id}`, {}, zoneNames[id] || id);
  };
  for (const id of Object.keys(zoneNames).sort(compareZones)) {
    zoneSel.appendChild(h('option', { value: id, selected: ctx.query.zone === id }, zoneLabel(id)));
  }

  let view = { x: 0, y: 0, w: 1, h: 1 };
  let full = { x: 0, y: 0, w: 1, h: 1 };
  let svgEl = null;
  let graph = null; // {nodesByIp, pairs, adjacency, pos}
  let selected = null;

  const applyView = () => svgEl && svgEl.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  function fit() {
    view = { ...full };
    applyView();
  }
  function zoomBy(factor, cx, cy) {
    const px = cx ?? view.x + view.w / 2;
    const py = cy ?? view.y + view.h / 2;
    const w = Math.min(full.w * 4, Math.max(120, view.w * factor));
    const k = w / view.w;
    view = { x: px - (px - view.x) * k, y: py - (py - view.y) * k, w, h: view.h * k };
    applyView();
  }

  function svgPoint(evt) {
    const rect = svgEl.getBoundingClientRect();
    const scale = Math.max(view.w / rect.width, view.h / rect.height);
    const offX = (rect.width * scale - view.w) / 2;
    const offY = (rect.height * scale - view.h) / 2;
    return { x: view.x - offX + (evt.clientX - rect.left) * scale, y: view.y - offY + (evt.clientY - rect.top) * scale, scale };
  }

  function showTip(evt, lines) {
    replace(tooltip, lines.filter(Boolean).map((line, i) => h('div', { class: i === 0 ? 'tip-title' : '' }, line)));
    tooltip.hidden = false;
    const box = stage.getBoundingClientRect();
    tooltip.style.left = `${Math.min(evt.clientX - box.left + 14, box.width - 260)}px`;
    tooltip.style.top = `${evt.clientY - box.top + 14}px`;
  }

  // The member count, and the highest raw risk when the zone's header has room for it.
  function zoneCount(z, maxRisk) {
    const count = fmtNum(z.nodes.length);
    if (maxRisk <= 0) return count;
    const full = `${count} · ${t('map.maxRisk')} ${fmtNum(maxRisk)}`;
    return textWidth(zoneLabel(z.id), 14) + textWidth(full, 11) + 40 <= z.w ? full : count;
  }

  function draw(data) {
    const nodes = (data.nodes || []).filter((n) => !CONTAINER_KINDS.has(n.kind) && n.ip);
    const linked = pairs(data.edges || []);
    stats.textContent = t('map.stats', { nodes: fmtNum(nodes.length), edges: fmtNum((data.edges || []).length) });
    if (!nodes.length) {
      replace(stage, emptyState(t('map.empty'), t('map.emptyHint')));
      svgEl = null;
      return;
    }
    const { zones, pos, width, height } = layout(nodes);
    const nodesByIp = new Map(nodes.map((n) => [n.ip, n]));
    const adjacency = new Map();
    full = { x: -20, y: -20, w: width + 40, h: height + 40 };
    view = { ...full };
    svgEl = s('svg', { id: 'map-svg', class: 'map-svg', viewBox: `${view.x} ${view.y} ${view.w} ${view.h}`, preserveAspectRatio: 'xMidYMid meet', role: 'img', 'aria-label': t('nav.map') });
    // Boxes under the flows, their labels above them so busy maps stay readable.
    const zoneLayer = s('g', { class: 'zones' });
    const labelLayer = s('g', { class: 'zone-labels' });
    for (const z of zones) {
      const maxRisk = Math.max(0, ...z.nodes.map((n) => Number(n.risk) || 0));
      const zoneId = z.id.startsWith('\u0000') ? '' : z.id;
      zoneLayer.appendChild(s('g', { class: ['zone', FULL_WIDTH.has(z.id) ? 'zone-internet' : ''], 'data-zone': zoneId }, s('rect', { x: z.x, y: z.y, width: z.w, height: z.h, rx: 12, ry: 12 })));
      labelLayer.appendChild(
        s(
          'g',
          { 'data-zone': zoneId },
          s('rect', { x: z.x + 1, y: z.y + 1, width: z.w - 2, height: HEADER - 6, rx: 11, class: 'zone-head' }),
          s('text', { x: z.x + 14, y: z.y + 20, class: 'zone-label' }, zoneLabel(z.id)),
          s('text', { x: z.x + z.w - 14, y: z.y + 20, class: 'zone-count', 'text-anchor': 'end' }, zoneCount(z, maxRisk)),
        ),
      );
    }
    const edgeLayer = s('g', { class: 'edges' });
    linked.forEach((p, i) => {
      const a = pos.get(p.source);
      const b = pos.get(p.target);
      if (!a || !b) return;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const bend = 0.12;
      const cx = (a.x + b.x) / 2 - dy * bend;
      const cy = (a.y + b.y) / 2 + dx * bend;
      const path = s('path', {
        d: `M${a.x.toFixed(1)},${a.y.toFixed(1)}Q${cx.toFixed(1)},${cy.toFixed(1)} ${b.x.toFixed(1)},${b.y.toFixed(1)}`,
        class: ['edge', p.risk > 0 ? 'edge-risk' : ''],
        stroke: p.risk > 0 ? riskColor(p.risk) : null,
        'stroke-width': Math.min(7, 0.6 + Math.log10(1 + p.count)).toFixed(2),
        'data-edge': i,
        'data-source': p.source,
        'data-target': p.target,
      });
      edgeLayer.appendChild(path);
      for (const [ip, peer] of [[p.source, p.target], [p.target, p.source]]) {
        if (!adjacency.has(ip)) adjacency.set(ip, { edges: [], peers: new Set() });
        adjacency.get(ip).edges.push(path);
        adjacency.get(ip).peers.add(peer);
      }
    });
    const nodeLayer = s('g', { class: 'nodes' });
    for (const n of nodes) {
      const p = pos.get(n.ip);
      const critical = n.criticality === 'high' || n.criticality === 'critical';
      nodeLayer.appendChild(
        s('circle', {
          cx: p.x,
          cy: p.y,
          r: critical ? 8.5 : n.kind === 'asset' ? 7 : 5.5,
          fill: riskColor(n.risk),
          class: ['node', n.kind === 'asset' ? 'node-asset' : 'node-host', critical ? 'node-critical' : ''],
          'data-ip': n.ip,
          'data-risk': Number(n.risk || 0).toFixed(1),
          'data-score': riskScore(n.risk).toFixed(0),
          'data-zone': n.zone || '',
        }),
      );
    }
    svgEl.append(zoneLayer, edgeLayer, labelLayer, nodeLayer);
    replace(stage, svgEl);
    graph = { nodesByIp, pairs: linked, adjacency, pos };
    bindEvents();
  }

  let drag = null;
  let moved = false;
  const endDrag = () => {
    drag = null;
  };
  window.addEventListener('mouseup', endDrag);

  function bindEvents() {
    svgEl.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = svgPoint(e);
      zoomBy(e.deltaY > 0 ? 1.15 : 0.87, p.x, p.y);
    }, { passive: false });
    svgEl.addEventListener('mousedown', (e) => {
      drag = { x: e.clientX, y: e.clientY, view: { ...view } };
      moved = false;
    });
    svgEl.addEventListener('mousemove', (e) => {
      if (drag) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
        if (moved) {
          const { scale } = svgPoint(e);
          view = { ...drag.view, x: drag.view.x - dx * scale, y: drag.view.y - dy * scale };
          applyView();
          tooltip.hidden = true;
          return;
        }
      }
      const target = e.target;
      if (target.matches && target.matches('circle[data-ip]')) {
        const n = graph.nodesByIp.get(target.dataset.ip);
        showTip(e, [
          n.ip,
          n.name ? `${t('map.name')}: ${n.name}` : null,
          `${t('map.zone')}: ${zoneLabel(groupOf(n))}`,
          n.owner_unit ? `${t('asset.owner_unit')}: ${n.owner_unit}` : null,
          `${t('map.risk')}: ${fmtNum(n.risk, 1)} · ${t('map.riskScale', { n: riskScore(n.risk).toFixed(0) })}`,
          n.criticality ? `${t('asset.criticality')}: ${t(`crit.${n.criticality}`, {}, n.criticality)}` : null,
        ]);
      } else if (target.matches && target.matches('path[data-edge]')) {
        const p = graph.pairs[Number(target.dataset.edge)];
        showTip(e, [`${p.source} → ${p.target}`, p.services.slice(0, 6).join(', ') + (p.services.length > 6 ? ' …' : ''), `${t('map.flows')}: ${fmtNum(p.count)} · ${fmtBytes(p.bytes)}`, p.risk > 0 ? `${t('map.risk')}: ${fmtNum(p.risk, 1)} · ${t('map.riskScale', { n: riskScore(p.risk).toFixed(0) })}` : null, `${t('map.lastSeen')}: ${fmtTime(p.last_seen)}`]);
      } else {
        tooltip.hidden = true;
      }
    });
    svgEl.addEventListener('mouseleave', () => {
      tooltip.hidden = true;
    });
    svgEl.addEventListener('click', (e) => {
      if (moved) return;
      const target = e.target;
      if (target.matches && target.matches('circle[data-ip]')) selectNode(target.dataset.ip);
      else selectNode(null);
    });
  }

  function highlight(ip) {
    svgEl.classList.toggle('has-selection', Boolean(ip));
    svgEl.querySelectorAll('.hl, .selected').forEach((el) => el.classList.remove('hl', 'selected'));
    if (!ip) return;
    const node = svgEl.querySelector(`circle[data-ip="${CSS.escape(ip)}"]`);
    if (node) {
      node.classList.add('selected');
      node.parentNode.appendChild(node); // draw on top
    }
    const adj = graph.adjacency.get(ip);
    if (!adj) return;
    adj.edges.forEach((el) => el.classList.add('hl'));
    adj.peers.forEach((peer) => {
      const el = svgEl.querySelector(`circle[data-ip="${CSS.escape(peer)}"]`);
      if (el) el.classList.add('hl');
    });
  }

  function locate(ip) {
    if (!ip || !graph) return;
    const p = graph.pos.get(ip);
    if (!p) {
      showError({ detail: t('map.notFound', { ip }) });
      return;
    }
    view = { x: p.x - 300, y: p.y - 200, w: 600, h: 400 };
    applyView();
    selectNode(ip);
  }

  function section(title, body) {
    return h('section', { class: 'np-section' }, h('h4', {}, title), body);
  }

  async function selectNode(ip) {
    selected = ip;
    if (svgEl) highlight(ip);
    if (!ip) {
      nodePanel.hidden = true;
      return;
    }
    const n = graph.nodesByIp.get(ip) || { ip };
    const assetBox = h('div', {}, loading());
    const neighbourBox = h('div', {}, loading());
    const alertBox = h('div', {}, loading());
    replace(
      nodePanel,
      h(
        'header',
        { class: 'np-head' },
        h('span', { class: 'risk-dot', style: { background: riskColor(n.risk) } }),
        h('h3', { class: 'mono' }, ip),
        h('button', { class: 'icon-btn', 'aria-label': t('common.close'), onClick: () => selectNode(null) }, '×'),
      ),
      h(
        'div',
        { class: 'np-facts' },
        h('span', { class: 'chip chip-plain' }, zoneLabel(groupOf(n))),
        h('span', { class: 'chip', id: 'node-risk', 'data-risk': Number(n.risk || 0).toFixed(1), style: { background: riskColor(n.risk), color: '#fff' } }, `${t('map.risk')} ${fmtNum(n.risk, 1)}`),
        h('span', { class: 'chip chip-plain' }, t('map.riskScale', { n: riskScore(n.risk).toFixed(0) })),
        n.subnet ? h('span', { class: 'chip chip-plain mono' }, n.subnet) : null,
        h('span', { class: 'chip chip-plain' }, n.kind === 'asset' ? t('map.kindAsset') : t('map.kindHost')),
      ),
      canAssets ? section(t('map.asset'), assetBox) : null,
      section(t('map.neighbours'), neighbourBox),
      canAlerts ? section(t('map.alerts'), alertBox) : null,
    );
    nodePanel.hidden = false;
    const skipped = Promise.resolve(null);
    const assetCall = !canAssets ? skipped : n.asset_id ? api.get(`/api/v1/assets/${encodeURIComponent(n.asset_id)}`) : api.get('/api/v1/assets', { q: ip, limit: 50 });
    const alertCall = canAlerts ? api.get('/api/v1/alerts', { source_ip: ip, limit: 10, sort: 'last_seen', order: 'desc' }) : skipped;
    const [asset, neighbours, alerts] = await settle([assetCall, api.get(`/api/v1/graph/neighbours/${encodeURIComponent(ip)}`), alertCall]);
    if (selected !== ip || !ctx.isCurrent()) return;
    if (asset.ok && asset.value) {
      const record = asset.value.assets ? asset.value.assets.find((a) => a.ip === ip) : asset.value;
      replace(assetBox, record ? assetFacts(record) : h('p', { class: 'muted' }, t('map.unregistered')), h('a', { class: 'more-link', href: `#/assets?q=${encodeURIComponent(ip)}` }, t('map.inRegister')));
    } else if (!asset.ok) replace(assetBox, inlineError(asset.error));
    if (neighbours.ok) replace(neighbourBox, neighbourList(neighbours.value.neighbours || []));
    else replace(neighbourBox, inlineError(neighbours.error));
    if (alerts.ok && alerts.value) {
      ctx.markDemo(alerts.value.items || []);
      replace(alertBox, alertList(alerts.value, ip));
    } else if (!alerts.ok) replace(alertBox, inlineError(alerts.error));
  }

  function assetFacts(a) {
    const rows = [
      ['hostname', a.hostname],
      ['owner_unit', a.owner_unit],
      ['zone', a.zone ? zoneLabel(a.zone) : null],
      ['device_type', a.device_type],
      ['level', a.level ? t('asset.levelN', { n: a.level }) : null],
      ['criticality', a.criticality ? t(`crit.${a.criticality}`, {}, a.criticality) : null],
      ['contact', a.contact],
      ['services', (a.services || []).join(', ')],
      ['first_seen', a.first_seen ? fmtTime(a.first_seen) : null],
      ['last_seen', a.last_seen ? fmtTime(a.last_seen) : null],
      ['origin', a.origin ? t(`origin.${a.origin}`, {}, a.origin) : null],
    ];
    return h('dl', { class: 'np-dl', id: 'node-asset' }, rows.map(([k, v]) => [h('dt', {}, t(`asset.${k}`)), h('dd', {}, display(v))]));
  }

  function neighbourList(items) {
    if (!items.length) return h('p', { class: 'muted' }, t('map.noNeighbours'));
    return h(
      'ul',
      { class: 'np-list', id: 'node-neighbours' },
      items.slice(0, 50).map((nb) =>
        h(
          'li',
          {},
          h('span', { class: 'dir', title: t(`map.dir.${nb.direction}`) }, nb.direction === 'out' ? '→' : '←'),
          h('button', { type: 'button', class: 'link-btn mono', onClick: () => locate(nb.ip) }, nb.ip),
          h('span', { class: 'muted small' }, (nb.services || []).slice(0, 3).map((sv) => (sv.port === null || sv.port === undefined ? sv.transport : `${sv.transport}/${sv.port}`)).join(', ')),
          h('span', { class: 'num small' }, `${fmtNum(nb.count)} · ${fmtBytes(nb.bytes)}`),
        ),
      ),
      items.length > 50 ? h('li', { class: 'muted small' }, t('map.more', { n: items.length - 50 })) : null,
    );
  }

  function alertList(data, ip) {
    const items = data.items || [];
    if (!items.length) return h('p', { class: 'muted' }, t('map.noAlerts'));
    return h(
      'div',
      {},
      h(
        'ul',
        { class: 'np-list', id: 'node-alerts' },
        items.map((a) =>
          h('li', { 'data-alert-id': a.id }, sevChip(a.severity), h('a', { href: `#/alerts/${encodeURIComponent(a.id)}` }, display(a.rule_name || a.rule_id)), statusChip(a.status), h('span', { class: 'muted small nowrap' }, fmtTime(a.last_seen))),
        ),
      ),
      h('a', { class: 'more-link', href: `#/alerts?source_ip=${encodeURIComponent(ip)}` }, t('map.allAlerts', { n: fmtNum(data.total ?? items.length) })),
    );
  }

  const nextLoad = latestOnly();
  async function load() {
    const fresh = nextLoad();
    ctx.setQuery({ min_risk: minRisk.value === '0' ? '' : minRisk.value, zone: zoneSel.value, ip: selected || '' });
    stage.replaceChildren(loading());
    nodePanel.hidden = true;
    try {
      const data = await api.get('/api/v1/graph', { min_risk: minRisk.value === '0' ? '' : minRisk.value, zone: zoneSel.value });
      if (!ctx.isCurrent() || !fresh()) return;
      draw(data);
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(stage, inlineError(err));
    }
  }
  minRisk.addEventListener('change', load);
  zoneSel.addEventListener('change', load);
  find.addEventListener('keydown', (e) => e.key === 'Enter' && locate(find.value.trim()));

  await load();
  if (ctx.query.ip && graph) locate(ctx.query.ip);
  return () => window.removeEventListener('mouseup', endDrag);
}
