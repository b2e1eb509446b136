// The alert list and an alert's page.
import { h, $, clear } from './dom.js';
import { ago, absolute, iso, value as fmtValue } from './format.js';
import { parseFilter, filterAlert, displayState, labelsOf } from './matchers.js';
import { api, enc } from './api.js';

export const STATES = ['firing', 'pending', 'acknowledged', 'silenced', 'resolved'];
const STATE_LABEL = {
  firing: 'Firing', pending: 'Pending', acknowledged: 'Acknowledged', silenced: 'Silenced', resolved: 'Resolved',
};
const SEVERITY_RANK = { critical: 0, error: 1, warning: 2, info: 3 };
const STATE_RANK = { firing: 0, pending: 1, acknowledged: 2, silenced: 3, resolved: 4 };

// severityClass names a severity's colours; unknown severities look like info.
export function severityClass(sev) {
  return sev in SEVERITY_RANK ? sev : 'none';
}

function compare(a, b) {
  const sa = STATE_RANK[displayState(a)];
  const sb = STATE_RANK[displayState(b)];
  if (sa !== sb) return sa - sb;
  const va = SEVERITY_RANK[a.severity] ?? 9;
  const vb = SEVERITY_RANK[b.severity] ?? 9;
  if (va !== vb) return va - vb;
  return Date.parse(b.active_at) - Date.parse(a.active_at);
}

// relTime is a <time> that the clock keeps relative.
export function relTime(t, prefix = '') {
  return h('time', { datetime: iso(t), title: absolute(t), dataset: { rel: iso(t), prefix } }, prefix + ago(t));
}

// refreshTimes updates every relative time on the page.
export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-rel]')) {
    el.textContent = (el.dataset.prefix || '') + ago(el.dataset.rel, now);
  }
}

function alertName(a) {
  return (a.labels && a.labels.alertname) || a.rule || a.id;
}

function summaryOf(a) {
  const an = a.annotations || {};
  return an.summary || an.description || an.message || '';
}

function stateBadge(a) {
  const st = displayState(a);
  let text = st;
  if (st === 'acknowledged' && a.acknowledged_by) text = `acknowledged by ${a.acknowledged_by}`;
  return h('span', { class: `badge st-${st}` }, text);
}

function sinceText(a) {
  switch (displayState(a)) {
    case 'resolved': return a.resolved_at ? relTime(a.resolved_at, 'resolved ') : '';
    case 'pending': return relTime(a.active_at, 'pending since ');
    default: return relTime(a.fired_at || a.active_at, 'firing since ');
  }
}

// traceURL links an alert's trace in Jaeger when a Jaeger link is set.
export function traceURL(links, a) {
  if (!links || !links.jaeger || !a.trace_id) return '';
  return `${links.jaeger.replace(/\/$/, '')}/trace/${encodeURIComponent(a.trace_id)}`;
}

// actionButtons are the admin actions of an alert; none for viewers and
// for resolved alerts.
function actionButtons(ctx, a, where) {
  if (!ctx.session.can_act || a.state === 'resolved') return [];
  const name = alertName(a);
  const out = [];
  if (!a.acknowledged_at) {
    out.push(h('button', {
      type: 'button', class: 'btn small primary', dataset: { action: 'acknowledge', focus: `${where}:ack` },
      'aria-label': `Acknowledge ${name}`, on: { click: () => ctx.openAction(a, 'acknowledge') },
    }, 'Acknowledge'));
  }
  out.push(h('button', {
    type: 'button', class: 'btn small', dataset: { action: 'resolve', focus: `${where}:resolve` },
    'aria-label': `Resolve ${name}`, on: { click: () => ctx.openAction(a, 'resolve') },
  }, 'Resolve'));
  out.push(h('button', {
    type: 'button', class: 'btn small', dataset: { action: 'silence', focus: `${where}:silence` },
    'aria-label': `Silence ${name}`, on: { click: () => ctx.openSilence(a) },
  }, 'Silence'));
  return out;
}

function labelButtons(ctx, a) {
  const labels = labelsOf(a);
  const keys = Object.keys(labels).sort((x, y) => (x === 'alertname' ? -1 : y === 'alertname' ? 1 : x.localeCompare(y)));
  return h('ul', { class: 'labels', 'aria-label': `Labels of ${alertName(a)}` }, keys.map((k) => h('li', {},
    h('button', {
      type: 'button', class: 'label', title: `Filter by ${k}="${labels[k]}"`, dataset: { focus: `label:${k}` },
      on: { click: () => ctx.addFilter(k, labels[k]) },
    }, h('span', { class: 'k' }, k), `=${labels[k]}`))));
}

function alertItem(ctx, a, selected) {
  const st = displayState(a);
  const sev = severityClass(a.severity);
  const name = alertName(a);
  const trace = traceURL(ctx.session.links, a);
  const cls = ['alert', `sev-row-${sev}`, st === 'resolved' ? 'is-resolved' : '', selected ? 'selected' : '',
    ctx.fresh.has(a.id) ? 'is-new' : ''].filter(Boolean).join(' ');
  return h('li', { class: cls, dataset: { id: a.id, state: st, source: ctx.source.get(a.id) || 'fetch' } },
    h('div', { class: 'alert-body' },
      h('div', { class: 'alert-head' },
        h('span', { class: `badge sev-${sev}` }, a.severity || 'none'),
        h('h2', { class: 'alert-name' }, h('a', { href: `#/alerts/${enc(a.id)}`, dataset: { focus: 'name' } }, name)),
        stateBadge(a),
        sinceText(a)),
      summaryOf(a) ? h('p', { class: 'summary' }, summaryOf(a)) : null,
      labelButtons(ctx, a),
      h('p', { class: 'meta' }, `value ${fmtValue(a.value)}`,
        trace ? [' · ', h('a', { href: trace, rel: 'noreferrer', target: '_blank' }, 'trace in Jaeger')] : null)),
    h('div', { class: 'actions' }, actionButtons(ctx, a, 'row')));
}

// AlertsView renders the list; ctx holds the alerts and the session.
export class AlertsView {
  constructor(ctx) {
    this.ctx = ctx;
    this.selected = null; // ID of the alert j/k selected
    this.states = new Set(['firing', 'pending', 'acknowledged', 'silenced']);
    this.filter = parseFilter('');
    this.buildStateFilter();
    const input = $('filter');
    input.addEventListener('input', () => this.setFilter(input.value, false));
    $('alert-filter').addEventListener('submit', (ev) => ev.preventDefault());
  }

  buildStateFilter() {
    const fs = $('state-filter');
    for (const st of STATES) {
      const id = `show-${st}`;
      const box = h('input', { type: 'checkbox', id, name: 'state', value: st, checked: this.states.has(st) });
      box.addEventListener('change', () => {
        if (box.checked) this.states.add(st); else this.states.delete(st);
        this.render();
      });
      fs.append(h('label', { for: id }, box, STATE_LABEL[st], ' ', h('span', { class: 'n', id: `n-${st}` })));
    }
  }

  setFilter(q, updateInput = true) {
    if (updateInput) $('filter').value = q;
    this.filter = parseFilter(q);
    this.render();
  }

  sorted() {
    return [...this.ctx.alerts.values()].filter((a) => filterAlert(this.filter, a)).sort(compare);
  }

  visible() {
    return this.sorted().filter((a) => this.states.has(displayState(a)));
  }

  render() {
    const list = $('alert-list');
    const restore = focusKey();
    const matching = this.sorted();
    const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const a of matching) counts[displayState(a)]++;
    for (const st of STATES) $(`n-${st}`).textContent = `(${counts[st]})`;
    const shown = matching.filter((a) => this.states.has(displayState(a)));
    if (this.selected && !shown.some((a) => a.id === this.selected)) this.selected = null;
    // Rebuild the list only when what it shows changed: a periodic refetch
    // of the same alerts must not take focus (or a key press) away from
    // the control the user is on.
    const key = JSON.stringify([this.selected, shown.map((a) => [a, this.ctx.fresh.has(a.id)])]);
    if (key !== this.shownKey) {
      this.shownKey = key;
      clear(list);
      for (const a of shown) list.append(alertItem(this.ctx, a, a.id === this.selected));
    }
    $('alerts-empty').hidden = shown.length > 0;
    const errs = this.filter.errors;
    $('alert-summary').textContent = errs.length ? errs.join('; ')
      : `${shown.length} of ${this.ctx.alerts.size} alerts shown: ${counts.firing} firing, ${counts.pending} pending, `
        + `${counts.acknowledged} acknowledged, ${counts.silenced} silenced, ${counts.resolved} resolved.`;
    restoreFocus(list, restore);
  }

  // move selects the next (1) or previous (-1) alert and focuses its name.
  move(delta) {
    const shown = this.visible();
    if (shown.length === 0) return;
    let i = shown.findIndex((a) => a.id === this.current());
    i = i < 0 ? (delta > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, i + delta));
    this.selected = shown[i].id;
    this.render();
    const li = [...$('alert-list').children].find((el) => el.dataset.id === this.selected);
    if (li) {
      li.querySelector('[data-focus="name"]').focus();
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  // current is the alert the keyboard acts on: the one holding focus, else
  // the selected one.
  current() {
    const li = document.activeElement && document.activeElement.closest && document.activeElement.closest('li.alert');
    if (li) return li.dataset.id;
    return this.selected;
  }
}

// focusKey remembers which control of which alert has focus, so a
// re-render can give it back.
function focusKey() {
  const el = document.activeElement;
  if (!el || !el.dataset || !el.dataset.focus) return null;
  const li = el.closest('[data-id]');
  return li ? { id: li.dataset.id, focus: el.dataset.focus } : null;
}

function restoreFocus(root, key) {
  if (!key) return;
  const li = [...root.querySelectorAll('[data-id]')].find((el) => el.dataset.id === key.id);
  const el = li && [...li.querySelectorAll('[data-focus]')].find((x) => x.dataset.focus === key.focus);
  if (el) el.focus();
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function link(href, text) {
  return h('a', { href, rel: 'noreferrer', target: '_blank' }, text);
}

function safeURL(u) {
  try {
    const p = new URL(u, location.href);
    return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : '';
  } catch {
    return '';
  }
}

// AlertPage renders one alert and its history.
export class AlertPage {
  constructor(ctx) {
    this.ctx = ctx;
    this.id = null;
    this.events = [];
  }

  async open(id) {
    this.id = id;
    this.events = [];
    clear($('alert-detail'));
    clear($('history').tBodies[0]);
    $('h-alert').textContent = 'Alert';
    try {
      const [a, hist] = await Promise.all([
        api('GET', `/api/alerts/${enc(id)}`),
        api('GET', `/api/alerts/${enc(id)}/history`),
      ]);
      if (this.id !== id) return;
      this.ctx.alerts.set(a.id, a);
      this.events = hist.events || [];
      this.render();
    } catch (e) {
      if (this.id !== id) return;
      $('alert-detail').append(h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  // update takes a streamed event of the open alert.
  update(ev) {
    if (!this.id || ev.alert.id !== this.id) return;
    if (ev.event && !this.events.some((e) => e.id === ev.event.id && ev.event.id)) this.events.push(ev.event);
    this.render();
  }

  render() {
    const a = this.ctx.alerts.get(this.id);
    if (!a) return;
    const restore = focusKey();
    const links = this.ctx.session.links || {};
    const name = alertName(a);
    $('h-alert').textContent = name;
    document.title = `${name} · Vigil`;
    const labels = labelsOf(a);
    const trace = traceURL(links, a);
    const elsewhere = [];
    if (links.grafana) {
      const g = links.grafana.replace(/\/$/, '');
      if (labels.route) elsewhere.push(link(`${g}/d/vigil-endpoint?var-route=${encodeURIComponent(labels.route)}`, `Grafana: endpoint ${labels.route}`));
      elsewhere.push(link(`${g}/d/vigil-alerts-slos`, 'Grafana: alerts and SLOs'));
    }
    if (links.prometheus) elsewhere.push(link(`${links.prometheus.replace(/\/$/, '')}/alerts`, 'Prometheus alerts'));
    if (trace) elsewhere.push(link(trace, `Jaeger: trace ${a.trace_id}`));
    const gen = safeURL(a.generator_url);
    if (gen) elsewhere.push(link(gen, 'Source'));
    const box = h('div', { dataset: { id: a.id } },
      h('div', { class: 'alert-head' },
        h('span', { class: `badge sev-${severityClass(a.severity)}` }, a.severity || 'none'),
        stateBadge(a), sinceText(a)),
      summaryOf(a) ? h('p', { class: 'summary' }, summaryOf(a)) : null,
      h('div', { class: 'actions detail-actions' }, actionButtons(this.ctx, a, 'detail')),
      kv([
        ['Value', fmtValue(a.value)],
        ['Active since', a.active_at ? relTime(a.active_at) : ''],
        ['Fired', a.fired_at ? relTime(a.fired_at) : ''],
        ['Resolved', a.resolved_at ? [relTime(a.resolved_at), a.resolved_by ? ` by ${a.resolved_by}` : ''] : ''],
        ['Acknowledged', a.acknowledged_at ? [relTime(a.acknowledged_at), ` by ${a.acknowledged_by || '?'}`,
          a.ack_comment ? `: “${a.ack_comment}”` : ''] : ''],
        ['Silenced', a.silenced ? 'yes' : 'no'],
        ['Source', a.source],
        ['Fingerprint', h('code', {}, a.fingerprint)],
      ]),
      h('h2', {}, 'Labels'),
      labelButtons(this.ctx, a),
      Object.keys(a.annotations || {}).length ? [h('h2', {}, 'Annotations'),
        kv(Object.entries(a.annotations).sort(([x], [y]) => x.localeCompare(y)))] : null,
      elsewhere.length ? [h('h2', {}, 'Elsewhere'), h('ul', { class: 'links' }, elsewhere.map((l) => h('li', {}, l)))] : null);
    clear($('alert-detail')).append(box);
    const body = clear($('history').tBodies[0]);
    for (const e of this.events) {
      body.append(h('tr', {},
        h('td', {}, relTime(e.time)),
        h('td', {}, e.kind),
        h('td', {}, e.from || e.to ? `${e.from || '–'} → ${e.to || '–'}` : ''),
        h('td', {}, e.by || ''),
        h('td', {}, e.comment || ''),
        h('td', { class: 'num' }, fmtValue(e.value))));
    }
    restoreFocus($('alert-detail'), restore);
  }
}
