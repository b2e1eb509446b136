// The dialogs: acknowledge or resolve with a comment, and new silences.
import { h, $, clear, announce } from './dom.js';
import { api, enc } from './api.js';
import { labelsOf, matchesAll, fromOperator, anchoredOK } from './matchers.js';

const ACTIONS = {
  acknowledge: { title: 'Acknowledge', done: 'acknowledged' },
  resolve: { title: 'Resolve', done: 'resolved' },
};

function alertName(a) {
  return (a.labels && a.labels.alertname) || a.rule || a.id;
}

function showError(el, msg) {
  el.textContent = msg || '';
  el.hidden = !msg;
}

// ActionDialog acknowledges or resolves one alert with a comment.
export class ActionDialog {
  constructor(ctx) {
    this.ctx = ctx;
    this.dlg = $('dlg-action');
    this.alert = null;
    this.kind = null;
    $('action-cancel').addEventListener('click', () => this.dlg.close());
    $('action-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
  }

  open(alert, kind) {
    this.alert = alert;
    this.kind = kind;
    const a = ACTIONS[kind];
    $('dlg-action-title').textContent = `${a.title} ${alertName(alert)}`;
    $('dlg-action-alert').textContent = (alert.annotations && alert.annotations.summary) || '';
    $('action-submit').textContent = a.title;
    $('action-comment').value = '';
    showError($('action-error'), '');
    this.dlg.showModal();
    $('action-comment').focus();
  }

  async submit() {
    const btn = $('action-submit');
    btn.disabled = true;
    try {
      const updated = await api('POST', `/api/alerts/${enc(this.alert.id)}/${this.kind}`,
        { by: this.ctx.session.name, comment: $('action-comment').value.trim() });
      this.dlg.close();
      this.ctx.upsert(updated, 'action');
      announce(`${alertName(updated)} ${ACTIONS[this.kind].done}.`);
      this.ctx.focusAlert(updated.id);
    } catch (e) {
      showError($('action-error'), e.message);
    } finally {
      btn.disabled = false;
    }
  }
}

const OPERATORS = ['=', '!=', '=~', '!~'];

// SilenceDialog creates a silence, prefilled from an alert's labels.
export class SilenceDialog {
  constructor(ctx) {
    this.ctx = ctx;
    this.dlg = $('dlg-silence');
    this.rows = 0;
    this.from = null;
    $('silence-cancel').addEventListener('click', () => this.dlg.close());
    $('add-matcher').addEventListener('click', () => {
      const row = this.addRow({ name: '', value: '', op: '=' });
      row.querySelector('input').focus();
      this.preview();
    });
    $('silence-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    $('silence-form').addEventListener('input', () => this.preview());
  }

  // open prefills the matchers with the labels of alert (all of them, as
  // Alertmanager does), or one empty matcher.
  open(alert) {
    this.from = alert || null;
    clear($('matchers'));
    this.rows = 0;
    if (alert) {
      const labels = labelsOf(alert);
      const keys = Object.keys(labels).sort((x, y) => (x === 'alertname' ? -1 : y === 'alertname' ? 1 : x.localeCompare(y)));
      for (const k of keys) this.addRow({ name: k, value: labels[k], op: '=' });
      $('dlg-silence-title').textContent = `Silence ${alertName(alert)}`;
    } else {
      this.addRow({ name: 'alertname', value: '', op: '=' });
      $('dlg-silence-title').textContent = 'New silence';
    }
    $('silence-duration').value = '2h';
    $('silence-comment').value = '';
    showError($('silence-error'), '');
    this.preview();
    this.dlg.showModal();
    $('silence-comment').focus();
  }

  addRow({ name, value, op }) {
    const n = ++this.rows;
    const sel = h('select', { id: `m-op-${n}`, name: 'op' }, OPERATORS.map((o) => h('option', { value: o, selected: o === op }, o)));
    const row = h('li', { class: 'matcher' },
      h('div', {}, h('label', { for: `m-name-${n}` }, 'Label'),
        h('input', { id: `m-name-${n}`, name: 'name', value: name, required: true, spellcheck: 'false', autocomplete: 'off' })),
      h('div', {}, h('label', { for: `m-op-${n}` }, 'Operator'), sel),
      h('div', {}, h('label', { for: `m-value-${n}` }, 'Value'),
        h('input', { id: `m-value-${n}`, name: 'value', value, spellcheck: 'false', autocomplete: 'off' })),
      h('button', {
        type: 'button', class: 'btn small', 'aria-label': `Remove matcher ${name || n}`,
        on: { click: () => { row.remove(); this.preview(); $('add-matcher').focus(); } },
      }, 'Remove'));
    $('matchers').append(row);
    return row;
  }

  matchers() {
    return [...$('matchers').children].map((row) => {
      const op = row.querySelector('select').value;
      const [name, value] = [...row.querySelectorAll('input')].map((i) => i.value.trim());
      return { name, value, ...fromOperator(op) };
    });
  }

  preview() {
    const ms = this.matchers().filter((m) => m.name);
    const bad = ms.find((m) => m.isRegex && !anchoredOK(m.value));
    if (bad) {
      $('silence-preview').textContent = `${bad.name}: not a valid regular expression.`;
      return;
    }
    const active = [...this.ctx.alerts.values()].filter((a) => a.state !== 'resolved');
    const n = ms.length ? active.filter((a) => matchesAll(ms, labelsOf(a))).length : 0;
    $('silence-preview').textContent = ms.length === 0 ? 'Add at least one matcher.'
      : `Matches ${n} of ${active.length} active alert${active.length === 1 ? '' : 's'}.`;
  }

  async submit() {
    const ms = this.matchers();
    if (ms.length === 0 || ms.some((m) => !m.name)) {
      showError($('silence-error'), 'Every matcher needs a label name.');
      return;
    }
    const btn = $('silence-submit');
    btn.disabled = true;
    try {
      const s = await api('POST', '/api/silences', {
        matchers: ms, duration: $('silence-duration').value.trim(),
        createdBy: this.ctx.session.name, comment: $('silence-comment').value.trim(),
      });
      this.dlg.close();
      announce(`Silence created until ${new Date(s.endsAt).toLocaleString()}.`);
      await this.ctx.silenced(s);
      if (this.from) this.ctx.focusAlert(this.from.id);
    } catch (e) {
      showError($('silence-error'), e.message);
    } finally {
      btn.disabled = false;
    }
  }
}
