// Label matchers: the alert filter, silence matchers and silence status.

const matcherRE = /^([A-Za-z_][A-Za-z0-9_.]*)(=~|!~|!=|=)(.*)$/;

// anchored compiles a matcher regex the way Alertmanager does: anchored at
// both ends. An invalid pattern matches nothing.
function anchored(re) {
  try {
    return new RegExp(`^(?:${re})$`);
  } catch {
    return null;
  }
}

function unquote(v) {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\"/g, '"');
  return v;
}

// tokens splits a filter into words, keeping "quoted values" together.
function tokens(q) {
  const out = [];
  const re = /(?:[^\s"]+|"(?:\\.|[^"\\])*")+/g;
  for (const m of q.matchAll(re)) out.push(m[0]);
  return out;
}

// parseFilter turns the filter box into label matchers and plain words.
// "severity=critical route=~/api/.* chat" → two matchers and one word.
export function parseFilter(q) {
  const matchers = [];
  const words = [];
  const errors = [];
  for (const t of tokens(q || '')) {
    const m = matcherRE.exec(t);
    if (!m) {
      words.push(unquote(t).toLowerCase());
      continue;
    }
    const [, name, op, raw] = m;
    const value = unquote(raw);
    const isRegex = op === '=~' || op === '!~';
    const isEqual = op === '=' || op === '=~';
    const re = isRegex ? anchored(value) : null;
    if (isRegex && !re) errors.push(`${t}: not a valid regular expression`);
    matchers.push({ name, value, isRegex, isEqual, re });
  }
  return { matchers, words, errors };
}

// labelsOf is what a matcher sees of an alert: its labels, plus its
// severity when no label carries one.
export function labelsOf(alert) {
  const l = { ...(alert.labels || {}) };
  if (alert.severity && !l.severity) l.severity = alert.severity;
  if (alert.rule && !l.alertname) l.alertname = alert.rule;
  return l;
}

// matches tells whether one matcher accepts labels (a missing label is the
// empty string, as in Alertmanager).
export function matches(m, labels) {
  const v = labels[m.name] ?? '';
  let ok;
  if (m.isRegex) {
    const re = m.re || anchored(m.value);
    ok = re ? re.test(v) : false;
  } else {
    ok = v === m.value;
  }
  return m.isEqual === false ? !ok : ok;
}

// matchesAll tells whether every matcher accepts labels.
export function matchesAll(ms, labels) {
  return ms.every((m) => matches(m, labels));
}

// filterAlert applies a parsed filter to an alert.
export function filterAlert(f, alert) {
  const labels = labelsOf(alert);
  if (!matchesAll(f.matchers, labels)) return false;
  if (f.words.length === 0) return true;
  const hay = [alert.rule, alert.severity, alert.state, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    ...Object.values(alert.annotations || {})].join(' ').toLowerCase();
  return f.words.every((w) => hay.includes(w));
}

// displayState is what the list shows an alert as: resolved, silenced,
// acknowledged, firing or pending.
export function displayState(alert) {
  if (alert.state === 'resolved') return 'resolved';
  if (alert.silenced) return 'silenced';
  if (alert.acknowledged_at && alert.state === 'firing') return 'acknowledged';
  return alert.state === 'pending' ? 'pending' : 'firing';
}

// silenceState is the silence's status: the server's status.state when it
// sends one, else computed from startsAt and endsAt.
export function silenceState(s, now = Date.now()) {
  const st = s.status && s.status.state;
  if (st === 'active' || st === 'pending' || st === 'expired') return st;
  const start = Date.parse(s.startsAt);
  const end = Date.parse(s.endsAt);
  if (Number.isFinite(end) && end <= now) return 'expired';
  if (Number.isFinite(start) && start > now) return 'pending';
  return 'active';
}

// operator is a matcher's operator as written.
export function operator(m) {
  const eq = m.isEqual !== false;
  if (m.isRegex) return eq ? '=~' : '!~';
  return eq ? '=' : '!=';
}

// formatMatcher writes a matcher as text: name="value".
export function formatMatcher(m) {
  return `${m.name}${operator(m)}"${String(m.value).replace(/"/g, '\\"')}"`;
}

// fromOperator is the isRegex and isEqual of an operator.
export function fromOperator(op) {
  return { isRegex: op === '=~' || op === '!~', isEqual: op === '=' || op === '=~' };
}

// anchoredOK tells whether a matcher regex compiles.
export function anchoredOK(re) {
  return anchored(re) !== null;
}
