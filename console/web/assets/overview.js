// The live overview, drawn from the stream's api_metrics and
// system_metrics messages.
import { h, $, clear } from './dom.js';
import { rate, ratio, seconds, bytes } from './format.js';
import { sparkline } from './charts.js';

const KEEP = 120; // points of history kept per series

function push(arr, v) {
  arr.push(v);
  if (arr.length > KEEP) arr.shift();
}

const DASHBOARDS = [
  ['vigil-api-overview', 'API overview'],
  ['vigil-endpoint', 'Endpoint'],
  ['vigil-alerts-slos', 'Alerts and SLOs'],
  ['vigil-runtime-host', 'Runtime and host'],
  ['vigil-usage', 'Usage'],
];

// OverviewView keeps the stream's history and renders the cards, the
// routes and the links.
export class OverviewView {
  constructor(ctx) {
    this.ctx = ctx;
    this.api = { rps: [], err: [], p95: [] };
    this.sys = { cpu: [], mem: [] };
    this.routes = new Map(); // route → {p95: [], last}
    this.last = null;
    this.lastSys = null;
    this.samples = 0;
  }

  apiMetrics(d) {
    this.last = d;
    this.samples++;
    push(this.api.rps, d.throughput_rps);
    push(this.api.err, d.requests > 0 ? d.error_rate : null);
    push(this.api.p95, d.p95_seconds ?? null);
    const seen = new Set();
    for (const r of d.routes || []) {
      seen.add(r.route);
      let e = this.routes.get(r.route);
      if (!e) {
        e = { p95: Array(Math.max(0, Math.min(this.samples - 1, KEEP - 1))).fill(null) };
        this.routes.set(r.route, e);
      }
      e.last = r;
      push(e.p95, r.p95_seconds ?? null);
    }
    for (const [route, e] of this.routes) {
      if (seen.has(route)) continue;
      e.last = null;
      push(e.p95, null);
      if (e.p95.every((v) => v === null)) this.routes.delete(route);
    }
  }

  systemMetrics(d) {
    this.lastSys = d;
    push(this.sys.cpu, d.process_cpu_utilization ?? null);
    push(this.sys.mem, d.process_memory_bytes ?? null);
  }

  card(id, title, text, values, max) {
    return h('section', { class: 'card', id: `card-${id}`, 'aria-labelledby': `card-${id}-h` },
      h('h2', { id: `card-${id}-h` }, title),
      h('p', { class: 'value' }, text),
      sparkline(values, { label: `${title}, last ${values.length} samples`, max }));
  }

  render() {
    const d = this.last || {};
    const s = this.lastSys || {};
    const cards = clear($('cards'));
    cards.append(
      this.card('rps', 'Requests per second', rate(d.throughput_rps), this.api.rps),
      this.card('errors', 'Error ratio', d.requests > 0 ? ratio(d.error_rate) : '–', this.api.err, 0.05),
      this.card('p95', 'p95 latency', seconds(d.p95_seconds), this.api.p95),
      this.card('cpu', 'Process CPU', ratio(s.process_cpu_utilization), this.sys.cpu),
      this.card('mem', 'Process memory', bytes(s.process_memory_bytes), this.sys.mem));
    const links = this.ctx.session.links || {};
    const g = links.grafana ? links.grafana.replace(/\/$/, '') : '';
    const body = clear($('routes').tBodies[0]);
    const live = [...this.routes.entries()].filter(([, e]) => e.last).sort(([, a], [, b]) => b.last.requests - a.last.requests);
    for (const [route, e] of live) {
      const r = e.last;
      body.append(h('tr', { dataset: { route } },
        h('th', { scope: 'row' }, h('code', {}, route)),
        h('td', { class: 'num' }, rate(r.throughput_rps)),
        h('td', { class: 'num' }, ratio(r.error_rate)),
        h('td', { class: 'num' }, seconds(r.p95_seconds)),
        h('td', {}, sparkline(e.p95, { label: `p95 latency of ${route}`, small: true })),
        h('td', {}, g ? h('a', { href: `${g}/d/vigil-endpoint?var-route=${encodeURIComponent(route)}`, rel: 'noreferrer', target: '_blank' },
          h('span', { class: 'visually-hidden' }, `${route} in `), 'Grafana') : '')));
    }
    $('routes-empty').hidden = live.length > 0;
    this.renderLinks(links);
  }

  renderLinks(links) {
    const ul = clear($('links'));
    const a = (href, text) => h('li', {}, h('a', { href, rel: 'noreferrer', target: '_blank' }, text));
    if (links.grafana) {
      const g = links.grafana.replace(/\/$/, '');
      for (const [uid, name] of DASHBOARDS) ul.append(a(`${g}/d/${uid}`, `Grafana: ${name}`));
    }
    if (links.prometheus) {
      const p = links.prometheus.replace(/\/$/, '');
      ul.append(a(`${p}/alerts`, 'Prometheus: alerts'), a(`${p}/graph`, 'Prometheus: graph'));
    }
    if (links.jaeger) ul.append(a(`${links.jaeger.replace(/\/$/, '')}/search`, 'Jaeger: traces'));
    if (!ul.children.length) {
      ul.append(h('li', {}, 'No links configured: set ', h('code', {}, 'links.grafana'), ', ', h('code', {}, 'links.prometheus'),
        ' and ', h('code', {}, 'links.jaeger'), ' in the config file.'));
    }
  }
}
