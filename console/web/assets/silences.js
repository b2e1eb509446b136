// The silences list.
import { h, $, clear, announce } from './dom.js';
import { api, enc } from './api.js';
import { silenceState, formatMatcher, matchesAll, labelsOf } from './matchers.js';
import { relTime } from './alerts.js';

const SILENCE_STATES = ['active', 'pending', 'expired'];

// SilencesView lists silences by status and expires them.
export class SilencesView {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = new Map();
    this.states = new Set(['active', 'pending']);
    const fs = $('silence-filter');
    for (const st of SILENCE_STATES) {
      const id = `show-silence-${st}`;
      const box = h('input', { type: 'checkbox', id, value: st, checked: this.states.has(st) });
      box.addEventListener('change', () => {
        if (box.checked) this.states.add(st); else this.states.delete(st);
        this.load();
      });
      fs.append(h('label', { for: id }, box, st[0].toUpperCase() + st.slice(1), ' ', h('span', { id: `ns-${st}` })));
    }
    $('new-silence').addEventListener('click', () => ctx.openSilence(null));
  }

  // load fetches the silences: active and pending by default, expired ones
  // only when asked for (GET /api/silences?state=expired).
  async load() {
    const calls = [api('GET', '/api/silences')];
    if (this.states.has('expired')) calls.push(api('GET', '/api/silences?state=expired'));
    try {
      const got = await Promise.all(calls);
      this.items = new Map();
      for (const r of got) for (const s of (r && r.silences) || []) this.items.set(s.id, s);
      this.render();
    } catch (e) {
      this.ctx.fail(e.message);
    }
  }

  activeCount() {
    const now = Date.now();
    return [...this.items.values()].filter((s) => silenceState(s, now) === 'active').length;
  }

  render() {
    const now = Date.now();
    const counts = { active: 0, pending: 0, expired: 0 };
    const rows = [];
    for (const s of this.items.values()) {
      const st = silenceState(s, now);
      counts[st]++;
      if (this.states.has(st)) rows.push([s, st]);
    }
    for (const st of SILENCE_STATES) $(`ns-${st}`).textContent = st === 'expired' && !this.states.has('expired') ? '' : `(${counts[st]})`;
    $('count-silences').textContent = counts.active ? String(counts.active) : '';
    rows.sort(([a], [b]) => Date.parse(b.createdAt || b.startsAt) - Date.parse(a.createdAt || a.startsAt));
    const active = [...this.ctx.alerts.values()].filter((a) => a.state !== 'resolved');
    const body = clear($('silences').tBodies[0]);
    for (const [s, st] of rows) {
      const n = active.filter((a) => matchesAll(s.matchers || [], labelsOf(a))).length;
      const expire = this.ctx.session.can_act && st !== 'expired'
        ? h('button', {
          type: 'button', class: 'btn small danger', 'aria-label': `Expire silence ${(s.matchers || []).map(formatMatcher).join(', ')}`,
          dataset: { id: s.id }, on: { click: () => this.expire(s) },
        }, 'Expire') : '';
      body.append(h('tr', { dataset: { id: s.id, state: st } },
        h('td', {}, h('span', { class: `badge st-${st}` }, st)),
        h('td', {}, h('ul', { class: 'matcher-list' }, (s.matchers || []).map((m) => h('li', {}, h('code', {}, formatMatcher(m)))))),
        h('td', {}, relTime(s.startsAt)),
        h('td', {}, relTime(s.endsAt)),
        h('td', {}, s.createdBy || ''),
        h('td', {}, s.comment || ''),
        h('td', { class: 'num' }, String(n)),
        h('td', {}, expire)));
    }
    $('silences-empty').hidden = rows.length > 0;
  }

  async expire(s) {
    try {
      await api('DELETE', `/api/silences/${enc(s.id)}`);
      announce('Silence expired.');
      await this.load();
      $('h-silences').focus();
    } catch (e) {
      this.ctx.fail(e.message);
    }
  }
}
