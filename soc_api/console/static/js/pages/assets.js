// Assets and zones (资产与安全域): the asset register as a filterable, paged table, the security
// zones with their networks and, for the roles that keep them, adding, editing and deleting
// assets, editing zones and importing a register file with its row-by-row report.
import { api, settle } from '../api.js';
import { t, getLang } from '../i18n.js';
import { h, replace, fmtTime, fmtNum, emptyState, loading, inlineError, pager, select, showError, toast, display, labelled, modal, panel, latestOnly } from '../dom.js';

const PAGE = 50;
const LEVELS = ['1', '2', '3', '4'];
const CRITICALITIES = ['low', 'medium', 'high', 'critical'];
const ORIGINS = ['import', 'api', 'discovered'];
const TEXT_FIELDS = ['hostname', 'owner_unit', 'device_type', 'contact'];
const ZONE_ID = /^[a-z][a-z0-9_-]{0,31}$/;
const SHOWN_SERVICES = 4;
const IMPORT_TYPES = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The asset's address: its single IP, else its network. */
export function addressOf(asset) {
  return (asset && (asset.ip || asset.cidr)) || '';
}

/** {row, text} of an import error such as "台账.csv row 7: bad level"; row is null for file-wide errors. */
export function splitImportError(message) {
  const text = String(message);
  const m = /^(.*?)\brow (\d+): ([\s\S]*)$/.exec(text);
  if (m) return { row: Number(m[2]), text: m[3] };
  const file = /^[^:]*\.(?:csv|xlsx|xls|txt): ([\s\S]*)$/i.exec(text);
  return { row: null, text: file ? file[1] : text };
}

/** Networks typed one per line, or separated by commas, semicolons or spaces. */
export function parseCidrs(text) {
  return String(text || '')
    .split(/[\s,;，；]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

function filtersFrom(query) {
  return {
    q: query.q || '',
    zone: query.zone || '',
    level: LEVELS.includes(query.level) ? query.level : '',
    criticality: CRITICALITIES.includes(query.criticality) ? query.criticality : '',
    origin: ORIGINS.includes(query.origin) ? query.origin : '',
    offset: Math.max(0, Number(query.offset) || 0),
  };
}

function critChip(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `chip crit crit-${value}` }, t(`crit.${value}`, {}, value));
}

function originChip(value) {
  return value ? h('span', { class: `chip chip-plain origin origin-${value}` }, t(`origin.${value}`, {}, value)) : '—';
}

function servicesCell(services) {
  const list = services || [];
  if (!list.length) return h('span', { class: 'muted' }, '—');
  const extra = list.length - SHOWN_SERVICES;
  return h(
    'span',
    { class: 'service-chips', title: list.join(', ') },
    list.slice(0, SHOWN_SERVICES).map((sv) => h('span', { class: 'chip chip-tech' }, sv)),
    extra > 0 ? h('span', { class: 'muted small' }, `+${extra}`) : null,
  );
}

function formError() {
  return h('div', { class: 'form-error wide', hidden: true });
}

function fail(error, err) {
  if (err.sessionExpired) return;
  error.textContent = err.detail || err.message;
  error.hidden = false;
}

export async function render(root, ctx) {
  const f = filtersFrom(ctx.query);
  const canManage = ctx.can('assets:manage');
  const canManageZones = ctx.can('zones:manage');
  let zones = [];
  let lastReport = null;

  root.replaceChildren(loading());
  const [zonesResult] = await settle([api.get('/api/v1/zones')]);
  if (!ctx.isCurrent()) return;
  if (zonesResult.ok) zones = zonesResult.value.zones || [];
  else if (!zonesResult.error.sessionExpired) showError(zonesResult.error);

  const zoneName = (id) => {
    const zone = zones.find((z) => z.id === id);
    if (getLang() === 'zh-CN' && zone) return zone.name;
    return t(`zone.${id}`, {}, zone ? zone.name : id);
  };
  const zoneOptions = () => zones.map((z) => [z.id, `${zoneName(z.id)} (${z.id})`]);

  // -- filters ----------------------------------------------------------------------------
  const qInput = h('input', { id: 'asset-filter-q', type: 'search', value: f.q, placeholder: t('assets.qPh') });
  const zoneSel = select({ id: 'asset-filter-zone' }, [['', t('common.all')], ...zoneOptions()], f.zone);
  const levelSel = select({ id: 'asset-filter-level' }, [['', t('common.all')], ...LEVELS.map((n) => [n, t('asset.levelN', { n })])], f.level);
  const critSel = select({ id: 'asset-filter-criticality' }, [['', t('common.all')], ...CRITICALITIES.map((c) => [c, t(`crit.${c}`)])], f.criticality);
  const originSel = select({ id: 'asset-filter-origin' }, [['', t('common.all')], ...ORIGINS.map((o) => [o, t(`origin.${o}`)])], f.origin);
  if (f.zone && !zones.some((z) => z.id === f.zone)) zoneSel.appendChild(h('option', { value: f.zone, selected: true }, f.zone));

  const apply = (changes = {}) => {
    Object.assign(f, { q: qInput.value.trim(), zone: zoneSel.value, level: levelSel.value, criticality: critSel.value, origin: originSel.value, offset: 0 }, changes);
    loadAssets();
  };
  for (const el of [zoneSel, levelSel, critSel, originSel]) el.addEventListener('change', () => apply());
  qInput.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  const reset = () => {
    for (const el of [qInput, zoneSel, levelSel, critSel, originSel]) el.value = '';
    apply();
  };

  const filterBar = h(
    'div',
    { class: 'toolbar filters' },
    h('label', { class: 'tb-field grow' }, h('span', {}, t('assets.q')), qInput),
    h('label', { class: 'tb-field' }, h('span', {}, t('asset.zone')), zoneSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('asset.level')), levelSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('asset.criticality')), critSel),
    h('label', { class: 'tb-field' }, h('span', {}, t('asset.origin')), originSel),
    h('button', { class: 'btn btn-primary', id: 'asset-filter-apply', onClick: () => apply() }, t('common.query')),
    h('button', { class: 'btn', id: 'asset-filter-reset', onClick: reset }, t('common.reset')),
    canManage ? h('button', { class: 'btn btn-primary', id: 'asset-new', onClick: () => assetForm(null) }, `+ ${t('assets.new')}`) : null,
  );

  // -- import -----------------------------------------------------------------------------
  const report = h('div', { id: 'asset-import-report', class: 'import-report', hidden: true, 'aria-live': 'polite' });
  let importCard = null;
  if (canManage) {
    const fileInput = h('input', { type: 'file', id: 'asset-import', accept: IMPORT_TYPES, class: 'file-input' });
    const status = h('span', { class: 'muted small', id: 'asset-import-status' });
    fileInput.addEventListener('change', async () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      fileInput.disabled = true;
      status.textContent = t('assets.importing', { name: file.name });
      try {
        lastReport = await api.upload('/api/v1/assets/import', file);
        status.textContent = '';
        showReport(lastReport);
        toast(t('assets.imported', { created: lastReport.created, updated: lastReport.updated }));
        await loadAssets();
      } catch (err) {
        status.textContent = '';
        if (!err.sessionExpired) showError(err);
      } finally {
        fileInput.disabled = false;
        fileInput.value = ''; // the same file can be chosen again after fixing it
      }
    });
    importCard = h(
      'div',
      { class: 'card import-card' },
      h(
        'div',
        { class: 'import-head' },
        h('strong', {}, t('assets.import')),
        h('label', { class: 'btn file-btn' }, t('assets.chooseFile'), fileInput),
        status,
      ),
      h('p', { class: 'muted small' }, t('assets.importHint')),
      report,
    );
  }

  function showReport(r) {
    const errors = (r.errors || []).map(splitImportError);
    const stat = (key, n, cls) => h('span', { class: ['import-stat', cls], 'data-count': key }, h('b', {}, fmtNum(n)), t(`assets.report.${key}`));
    report.hidden = false;
    replace(
      report,
      h(
        'div',
        { class: 'import-summary' },
        h('span', { class: 'mono' }, display(r.file)),
        stat('created', r.created, r.created ? 'ok' : ''),
        stat('updated', r.updated, r.updated ? 'ok' : ''),
        stat('unchanged', r.unchanged, ''),
        stat('errors', errors.length, errors.length ? 'bad' : ''),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), onClick: () => (report.hidden = true) }, '×'),
      ),
      errors.length
        ? h(
            'div',
            { class: 'table-wrap import-errors' },
            h(
              'table',
              { class: 'table compact', id: 'asset-import-errors' },
              h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('assets.report.row')), h('th', {}, t('assets.report.problem')))),
              h(
                'tbody',
                {},
                errors.map((e) => h('tr', { 'data-row': e.row === null ? '' : e.row }, h('td', { class: 'num mono' }, e.row === null ? '—' : String(e.row)), h('td', {}, e.text))),
              ),
            ),
          )
        : h('p', { class: 'muted small' }, t('assets.report.clean')),
    );
  }

  // -- asset table ------------------------------------------------------------------------
  const body = h('div', { class: 'table-wrap' }, loading());
  const foot = h('div', { class: 'table-foot' });
  const zonesBody = h('div', { class: 'table-wrap' });

  replace(
    root,
    filterBar,
    importCard,
    h('div', { class: 'card flush' }, body, foot),
    panel(t('zones.title'), zonesBody, canManageZones ? h('button', { class: 'btn btn-sm btn-primary', id: 'zone-new', onClick: () => zoneForm(null) }, `+ ${t('zones.new')}`) : null),
  );

  function assetRow(a) {
    const open = () => assetDetail(a);
    return h(
      'tr',
      {
        'data-asset-id': a.id,
        class: 'clickable',
        tabindex: 0,
        onClick: open,
        onKeydown: (e) => {
          if (e.key === 'Enter' && e.target === e.currentTarget) open();
        },
      },
      h('td', { class: 'mono nowrap strong' }, addressOf(a) || '—'),
      h('td', { class: 'nowrap' }, display(a.hostname)),
      h('td', { class: 'nowrap' }, display(a.owner_unit)),
      h('td', { title: a.zone || '' }, a.zone ? zoneName(a.zone) : h('span', { class: 'muted' }, '—')),
      h('td', {}, display(a.device_type)),
      h('td', { class: 'nowrap' }, a.level ? t('asset.levelN', { n: a.level }) : '—'),
      h('td', {}, critChip(a.criticality)),
      h('td', {}, originChip(a.origin)),
      // First and last sighting share a column so the register fits without scrolling.
      h('td', { class: 'nowrap seen small' }, h('div', { 'data-seen': 'first', title: t('asset.first_seen') }, fmtTime(a.first_seen)), h('div', { 'data-seen': 'last', title: t('asset.last_seen') }, fmtTime(a.last_seen))),
      h('td', {}, servicesCell(a.services)),
      canManage
        ? h(
            'td',
            { class: 'actions nowrap', onClick: (e) => e.stopPropagation() },
            h('button', { class: 'btn btn-sm', 'data-act': 'edit', onClick: () => assetForm(a) }, t('assets.edit')),
            h('button', { class: 'btn btn-sm btn-danger-ghost', 'data-act': 'delete', onClick: () => confirmDelete(a) }, t('common.delete')),
          )
        : null,
    );
  }

  function renderAssets(data) {
    const items = data.assets || [];
    if (!items.length) {
      replace(body, emptyState(t('assets.empty'), canManage ? t('assets.emptyHintManage') : t('assets.emptyHint')));
    } else {
      const heads = ['asset.address', 'asset.hostname', 'asset.owner_unit', 'asset.zone', 'asset.device_type', 'asset.level', 'asset.criticality', 'asset.origin', 'assets.seen', 'asset.services'];
      if (canManage) heads.push('assets.actions');
      replace(body, h('table', { class: 'table', id: 'assets-table' }, h('thead', {}, h('tr', {}, heads.map((k) => h('th', {}, t(k))))), h('tbody', {}, items.map(assetRow))));
    }
    replace(foot, pager(data.total || 0, f.offset, PAGE, (o) => apply({ offset: o })));
  }

  const nextLoad = latestOnly();
  async function loadAssets() {
    const fresh = nextLoad();
    ctx.setQuery({ ...f, offset: f.offset || '' });
    body.replaceChildren(loading());
    try {
      const data = await api.get('/api/v1/assets', { q: f.q, zone: f.zone, level: f.level, criticality: f.criticality, origin: f.origin, limit: PAGE, offset: f.offset });
      if (!ctx.isCurrent() || !fresh()) return;
      ctx.setSubtitle(t('assets.count', { n: fmtNum(data.total || 0) }));
      renderAssets(data);
    } catch (err) {
      if (err.sessionExpired || !fresh()) return;
      showError(err);
      replace(body, inlineError(err));
    }
  }

  // -- asset detail, form and delete -----------------------------------------------------
  function assetDetail(a) {
    const rows = [
      ['address', h('span', { class: 'mono' }, addressOf(a))],
      ['hostname', display(a.hostname)],
      ['owner_unit', display(a.owner_unit)],
      ['zone', a.zone ? `${zoneName(a.zone)} (${a.zone})` : '—'],
      ['device_type', display(a.device_type)],
      ['level', a.level ? t('asset.levelN', { n: a.level }) : '—'],
      ['criticality', critChip(a.criticality)],
      ['contact', display(a.contact)],
      ['services', servicesCell(a.services)],
      ['first_seen', fmtTime(a.first_seen)],
      ['last_seen', fmtTime(a.last_seen)],
      ['origin', originChip(a.origin)],
      ['created_at', fmtTime(a.created_at)],
      ['updated_at', fmtTime(a.updated_at)],
    ];
    const links = h(
      'div',
      { class: 'chip-row' },
      a.ip && ctx.can('graph:read') ? h('a', { class: 'btn btn-sm', href: `#/map?ip=${encodeURIComponent(a.ip)}` }, t('assets.onMap')) : null,
      a.ip && ctx.can('alerts:read') ? h('a', { class: 'btn btn-sm', href: `#/alerts?source_ip=${encodeURIComponent(a.ip)}` }, t('assets.alertsFrom')) : null,
    );
    const actions = [{ label: t('common.close'), onClick: (close) => close() }];
    if (canManage) {
      actions.unshift({ label: t('common.delete'), danger: true, id: 'asset-detail-delete', onClick: (close) => (close(), confirmDelete(a)) });
      actions.push({ label: t('assets.edit'), primary: true, id: 'asset-detail-edit', onClick: (close) => (close(), assetForm(a)) });
    }
    modal(t('assets.detailTitle', { address: addressOf(a) }), h('div', { id: 'asset-detail' }, h('dl', { class: 'np-dl asset-dl' }, rows.map(([k, v]) => [h('dt', {}, t(`asset.${k}`)), h('dd', {}, v)])), links), actions);
  }

  function assetForm(asset) {
    const a = asset || {};
    const before = { address: addressOf(a), zone: a.zone || '', level: a.level ? String(a.level) : '', criticality: a.criticality || '' };
    for (const name of TEXT_FIELDS) before[name] = a[name] || '';
    const addressIn = h('input', { id: 'asset-address', type: 'text', class: 'mono', value: before.address, placeholder: t('assets.addressPh'), maxlength: 64 });
    const texts = Object.fromEntries(TEXT_FIELDS.map((name) => [name, h('input', { id: `asset-${name.replace('_', '-')}`, type: 'text', value: before[name] })]));
    const zoneIn = select({ id: 'asset-zone' }, [['', t('assets.noZone')], ...zoneOptions()], before.zone);
    if (before.zone && !zones.some((z) => z.id === before.zone)) zoneIn.appendChild(h('option', { value: before.zone, selected: true }, before.zone));
    const levelIn = select({ id: 'asset-level' }, [['', '—'], ...LEVELS.map((n) => [n, t('asset.levelN', { n })])], before.level);
    const critIn = select({ id: 'asset-criticality' }, [['', '—'], ...CRITICALITIES.map((c) => [c, t(`crit.${c}`)])], before.criticality);
    const error = formError();
    const form = h(
      'div',
      { class: 'form-grid two', id: 'asset-form' },
      labelled(t('asset.address'), addressIn, 'wide'),
      labelled(t('asset.hostname'), texts.hostname),
      labelled(t('asset.owner_unit'), texts.owner_unit),
      labelled(t('asset.zone'), zoneIn),
      labelled(t('asset.device_type'), texts.device_type),
      labelled(t('asset.level'), levelIn),
      labelled(t('asset.criticality'), critIn),
      labelled(t('asset.contact'), texts.contact, 'wide'),
      asset ? h('p', { class: 'form-hint wide' }, t('assets.clearHint')) : null,
      error,
    );
    const submit = async (close) => {
      error.hidden = true;
      const values = { address: addressIn.value.trim(), zone: zoneIn.value, level: levelIn.value, criticality: critIn.value };
      for (const name of TEXT_FIELDS) values[name] = texts[name].value.trim();
      if (!values.address) {
        error.textContent = t('assets.addressRequired');
        error.hidden = false;
        return;
      }
      const typed = (name, value) => (name === 'level' && value ? Number(value) : value);
      try {
        let saved;
        if (!asset) {
          const fields = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '').map(([k, v]) => [k, typed(k, v)]));
          saved = await api.post('/api/v1/assets', fields);
        } else {
          // Only what was changed is sent; an emptied field is sent as null, which clears it.
          const changes = {};
          for (const [k, v] of Object.entries(values)) if (v !== before[k]) changes[k] = v === '' ? null : typed(k, v);
          if (!Object.keys(changes).length) {
            close();
            toast(t('alert.nothingChanged'), 'info');
            return;
          }
          saved = await api.patch(`/api/v1/assets/${encodeURIComponent(a.id)}`, changes);
        }
        close();
        toast(asset ? t('common.saved') : t('assets.created', { address: addressOf(saved) }));
        await loadAssets();
      } catch (err) {
        fail(error, err);
      }
    };
    modal(asset ? t('assets.editTitle', { address: before.address }) : t('assets.new'), form, [
      { label: t('common.cancel'), onClick: (close) => close() },
      { label: asset ? t('common.save') : t('common.create'), primary: true, id: 'asset-save', onClick: submit },
    ]);
    addressIn.focus();
  }

  function confirmDelete(a) {
    const error = formError();
    modal(t('assets.deleteTitle'), h('div', { class: 'form-grid' }, h('p', {}, t('assets.deleteConfirm', { address: addressOf(a), name: a.hostname || '—' })), error), [
      { label: t('common.cancel'), onClick: (close) => close() },
      {
        label: t('common.delete'),
        danger: true,
        id: 'asset-delete-confirm',
        onClick: async (close) => {
          try {
            await api.del(`/api/v1/assets/${encodeURIComponent(a.id)}`);
            close();
            toast(t('common.deleted'));
            await loadAssets();
          } catch (err) {
            fail(error, err);
          }
        },
      },
    ]);
  }

  // -- zones ------------------------------------------------------------------------------
  function renderZones() {
    if (!zones.length) {
      replace(zonesBody, zonesResult.ok ? emptyState(t('zones.empty')) : inlineError(zonesResult.error));
      return;
    }
    const heads = ['zones.id', 'zones.name', 'zones.description', 'zones.cidrs', 'zones.actions'];
    replace(
      zonesBody,
      h(
        'table',
        { class: 'table', id: 'zones-table' },
        h('thead', {}, h('tr', {}, heads.map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          zones.map((z) =>
            h(
              'tr',
              { 'data-zone-id': z.id },
              h('td', { class: 'mono' }, z.id),
              h('td', { class: 'strong' }, zoneName(z.id), getLang() === 'zh-CN' || zoneName(z.id) === z.name ? null : h('div', { class: 'muted small' }, z.name)),
              h('td', { class: 'muted' }, display(z.description)),
              h('td', {}, (z.cidrs || []).length ? h('span', { class: 'chip-row' }, z.cidrs.map((c) => h('span', { class: 'chip chip-tech' }, c))) : h('span', { class: 'muted' }, '—')),
              h(
                'td',
                { class: 'actions nowrap' },
                h('button', { class: 'btn btn-sm', 'data-act': 'assets', onClick: () => showZone(z.id) }, t('zones.showAssets')),
                canManageZones ? h('button', { class: 'btn btn-sm', 'data-act': 'edit', onClick: () => zoneForm(z) }, t('assets.edit')) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  function showZone(id) {
    zoneSel.value = id;
    apply();
    filterBar.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  async function reloadZones() {
    try {
      const data = await api.get('/api/v1/zones');
      if (!ctx.isCurrent()) return;
      zones = data.zones || [];
      const current = zoneSel.value;
      replace(zoneSel, [['', t('common.all')], ...zoneOptions()].map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
      renderZones();
    } catch (err) {
      if (!err.sessionExpired) showError(err);
    }
  }

  function zoneForm(zone) {
    const z = zone || {};
    const idIn = h('input', { id: 'zone-id', type: 'text', class: 'mono', value: z.id || '', disabled: Boolean(zone), maxlength: 32, placeholder: 'branch_office' });
    const nameIn = h('input', { id: 'zone-name', type: 'text', value: z.name || '' });
    const descIn = h('textarea', { id: 'zone-description', rows: 2 }, z.description || '');
    const cidrIn = h('textarea', { id: 'zone-cidrs', rows: 4, class: 'mono', placeholder: '10.8.0.0/16\n192.168.10.0/24' }, (z.cidrs || []).join('\n'));
    const error = formError();
    const form = h(
      'div',
      { class: 'form-grid', id: 'zone-form' },
      labelled(t('zones.id'), idIn),
      zone ? null : h('p', { class: 'form-hint' }, t('zones.idHint')),
      labelled(t('zones.name'), nameIn),
      labelled(t('zones.description'), descIn),
      labelled(t('zones.cidrs'), cidrIn),
      h('p', { class: 'form-hint' }, t('zones.cidrsHint')),
      error,
    );
    const submit = async (close) => {
      error.hidden = true;
      const name = nameIn.value.trim();
      const description = descIn.value.trim();
      const cidrs = parseCidrs(cidrIn.value);
      const problem = !name ? t('zones.nameRequired') : !zone && !ZONE_ID.test(idIn.value.trim()) ? t('zones.idHint') : null;
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      try {
        if (!zone) {
          await api.post('/api/v1/zones', { id: idIn.value.trim(), name, description: description || null, cidrs });
        } else {
          const changes = {};
          if (name !== z.name) changes.name = name;
          if (description !== (z.description || '')) changes.description = description || null;
          if (cidrs.join('\n') !== (z.cidrs || []).join('\n')) changes.cidrs = cidrs;
          if (!Object.keys(changes).length) {
            close();
            toast(t('alert.nothingChanged'), 'info');
            return;
          }
          await api.patch(`/api/v1/zones/${encodeURIComponent(z.id)}`, changes);
        }
        close();
        toast(zone ? t('common.saved') : t('zones.created', { id: idIn.value.trim() }));
        await reloadZones();
        await loadAssets();
      } catch (err) {
        fail(error, err);
      }
    };
    modal(zone ? t('zones.editTitle', { id: z.id }) : t('zones.new'), form, [
      { label: t('common.cancel'), onClick: (close) => close() },
      { label: zone ? t('common.save') : t('common.create'), primary: true, id: 'zone-save', onClick: submit },
    ]);
    (zone ? nameIn : idIn).focus();
  }

  renderZones();
  await loadAssets();
}
