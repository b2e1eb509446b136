// The console: session, router, live stream and the views.
import { $, announce } from './dom.js';
import { api, ApiError } from './api.js';
import { connect } from './stream.js';
import { AlertsView, AlertPage, refreshTimes } from './alerts.js';
import { SilencesView } from './silences.js';
import { OverviewView } from './overview.js';
import { ActionDialog, SilenceDialog } from './dialogs.js';
import { install } from './shortcuts.js';
import { displayState, formatMatcher } from './matchers.js';

const VIEWS = ['alerts', 'alert', 'silences', 'overview'];
const TITLES = { alerts: 'Alerts', silences: 'Silences', overview: 'Overview' };

const ctx = {
  session: { name: '', role: 'viewer', can_act: false, links: {} },
  alerts: new Map(),
  source: new Map(), // alert ID → 'stream' once the stream updated it
  fresh: new Set(), // alert IDs to flash once
  view: 'alerts',
};

function fail(msg) {
  const el = $('failure');
  el.textContent = msg || '';
  el.hidden = !msg;
}
ctx.fail = fail;

let alertsView;
let alertPage;
let silencesView;
let overview;
let actionDialog;
let silenceDialog;

function renderCurrent() {
  if (ctx.view === 'alerts') alertsView.render();
  else if (ctx.view === 'alert') alertPage.render();
  else if (ctx.view === 'silences') silencesView.render();
  else if (ctx.view === 'overview') overview.render();
  const active = [...ctx.alerts.values()].filter((a) => ['firing', 'pending'].includes(displayState(a))).length;
  $('count-active').textContent = active ? String(active) : '';
}

// upsert stores an alert (from a fetch, the stream or an action) and
// redraws.
ctx.upsert = (a, source) => {
  if (!a || !a.id) return;
  ctx.alerts.set(a.id, a);
  if (source) ctx.source.set(a.id, source);
  renderCurrent();
};

ctx.openAction = (a, kind) => actionDialog.open(a, kind);
ctx.openSilence = (a) => silenceDialog.open(a);
ctx.addFilter = (k, v) => {
  const cur = $('filter').value.trim();
  const m = formatMatcher({ name: k, value: v, isRegex: false, isEqual: true });
  location.hash = '#/alerts';
  alertsView.setFilter(cur.includes(m) ? cur : `${cur} ${m}`.trim());
  $('filter').focus();
};
ctx.focusAlert = (id) => {
  const root = ctx.view === 'alert' ? $('alert-detail') : $('alert-list');
  const li = [...root.querySelectorAll('[data-id]')].find((el) => el.dataset.id === id);
  const target = li && (li.querySelector('[data-focus="name"]') || li.querySelector('button'));
  if (target) target.focus();
  else $(ctx.view === 'alert' ? 'h-alert' : 'h-alerts').focus();
};
ctx.silenced = async () => {
  await Promise.all([silencesView.load(), loadAlerts()]);
};

async function loadAlerts() {
  const got = await Promise.all([
    api('GET', '/api/alerts?state=firing&limit=1000'),
    api('GET', '/api/alerts?state=pending&limit=1000'),
    api('GET', '/api/alerts?state=resolved&limit=200'),
  ]);
  const next = new Map();
  for (const r of got) {
    for (const a of r.alerts || []) {
      // The stream may have brought a newer version while the fetch ran.
      const mine = ctx.alerts.get(a.id);
      next.set(a.id, mine && Date.parse(mine.updated_at) > Date.parse(a.updated_at) ? mine : a);
    }
  }
  // Resolved alerts beyond the newest 200 drop out; the stream may have
  // added some since the fetch started: keep those.
  for (const [id, a] of ctx.alerts) if (!next.has(id) && ctx.source.get(id) === 'stream') next.set(id, a);
  ctx.alerts = next;
  renderCurrent();
}

let routed = false;

function route() {
  const first = !routed;
  routed = true;
  const hash = location.hash || '#/alerts';
  const m = /^#\/(alerts|silences|overview)(?:\/(.+))?$/.exec(hash);
  let view = m ? m[1] : 'alerts';
  const id = m && m[2] ? decodeURIComponent(m[2]) : null;
  if (view === 'alerts' && id) view = 'alert';
  const changed = view !== ctx.view || view === 'alert';
  ctx.view = view;
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  const nav = view === 'alert' ? 'alerts' : view;
  for (const a of document.querySelectorAll('nav a[data-view]')) {
    if (a.dataset.view === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (view === 'alert') {
    alertPage.open(id);
  } else {
    alertPage.id = null;
    document.title = `${TITLES[view]} · Vigil`;
    if (view === 'silences') silencesView.load();
  }
  renderCurrent();
  if (changed && !first) {
    const heading = $(view === 'alert' ? 'h-alert' : `h-${view}`);
    if (heading && document.activeElement !== $('filter')) heading.focus({ preventScroll: true });
  }
}

function onStream(m) {
  if (m.type === 'alert' && m.data && m.data.alert) {
    const a = m.data.alert;
    const before = ctx.alerts.get(a.id);
    const was = before ? displayState(before) : null;
    ctx.alerts.set(a.id, a);
    ctx.source.set(a.id, 'stream');
    const now = displayState(a);
    if (now !== was) {
      ctx.fresh.add(a.id);
      setTimeout(() => ctx.fresh.delete(a.id), 1500);
      const name = (a.labels && a.labels.alertname) || a.rule;
      if (now === 'firing' || now === 'resolved') announce(`${name} ${now}.`);
    }
    alertPage.update(m.data);
    renderCurrent();
  } else if (m.type === 'api_metrics' && m.data) {
    overview.apiMetrics(m.data);
    if (ctx.view === 'overview') overview.render();
  } else if (m.type === 'system_metrics' && m.data) {
    overview.systemMetrics(m.data);
    if (ctx.view === 'overview') overview.render();
  }
}

function streamState(state, wait) {
  const el = $('conn');
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : `Disconnected, retrying in ${wait}s`;
  if (state === 'live') loadAlerts().catch((e) => fail(e.message)); // catch up on what the gap missed
}

async function start() {
  try {
    ctx.session = await api('GET', '/ui/session');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) fail(e.message);
    return;
  }
  const s = ctx.session;
  $('who').textContent = `${s.name} (${s.role})`;
  $('version').textContent = `Vigil ${s.version || ''}`.trim();
  $('readonly').hidden = s.can_act;
  for (const el of document.querySelectorAll('[data-admin]')) el.hidden = !s.can_act;
  document.body.dataset.role = s.role;

  alertsView = new AlertsView(ctx);
  alertPage = new AlertPage(ctx);
  silencesView = new SilencesView(ctx);
  overview = new OverviewView(ctx);
  actionDialog = new ActionDialog(ctx);
  silenceDialog = new SilenceDialog(ctx);

  for (const h of document.querySelectorAll('main h1')) h.setAttribute('tabindex', '-1');
  $('show-help').addEventListener('click', () => $('dlg-help').showModal());
  window.addEventListener('hashchange', route);
  route();
  try {
    await loadAlerts();
  } catch (e) {
    fail(e.message);
  }
  silencesView.load();
  connect({
    protocol: s.stream_protocol, onMessage: onStream, onState: streamState,
    onEnd: () => window.location.assign('/ui'),
  });
  if (s.expires_at) {
    const left = Date.parse(s.expires_at) - Date.now();
    if (left > 0 && left < 2 ** 31) setTimeout(() => window.location.assign('/ui'), left + 1000);
  }
  setInterval(() => refreshTimes(), 10000);
  // A safety net: with several replicas the stream carries the events of
  // the one it is connected to; what the others saw arrives by refetching.
  setInterval(() => loadAlerts().catch(() => {}), 15000);
  setInterval(() => { if (ctx.view === 'silences') silencesView.load(); }, 30000);

  const onAlert = (fn) => () => {
    if (ctx.view === 'alert') {
      const a = ctx.alerts.get(alertPage.id);
      if (a) fn(a);
      return;
    }
    if (ctx.view !== 'alerts') return;
    const id = alertsView.current();
    const a = id && ctx.alerts.get(id);
    if (a) fn(a);
  };
  const act = (kind) => onAlert((a) => {
    if (!s.can_act || a.state === 'resolved') return;
    if (kind === 'silence') ctx.openSilence(a);
    else if (kind === 'acknowledge' && a.acknowledged_at) announce('Already acknowledged.');
    else ctx.openAction(a, kind);
  });
  install({
    '/': () => { location.hash = '#/alerts'; $('filter').focus(); },
    j: () => { if (ctx.view === 'alerts') alertsView.move(1); },
    k: () => { if (ctx.view === 'alerts') alertsView.move(-1); },
    a: act('acknowledge'),
    r: act('resolve'),
    s: act('silence'),
    1: () => { location.hash = '#/alerts'; },
    2: () => { location.hash = '#/silences'; },
    3: () => { location.hash = '#/overview'; },
    '?': () => $('dlg-help').showModal(),
  });
  document.body.dataset.ready = 'true';
}

start();
