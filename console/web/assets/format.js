// Formatting of times, durations and numbers.

const units = [
  ['y', 365 * 24 * 3600], ['d', 24 * 3600], ['h', 3600], ['m', 60], ['s', 1],
];

// ms turns a Date, a number of milliseconds or a string into milliseconds.
function ms(t) {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t;
  return Date.parse(t);
}

// ago says how long before now t was, the way an on-call engineer reads it:
// "just now", "42s ago", "5m ago", "3h 20m ago", "in 2h".
export function ago(t, now = Date.now()) {
  const at = ms(t);
  if (!Number.isFinite(at)) return '';
  const d = Math.round((now - at) / 1000);
  if (Math.abs(d) < 5) return 'just now';
  const s = span(Math.abs(d));
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

// span formats seconds in its largest unit and, if not zero, the next one:
// "3h 20m", "45s", "2d".
export function span(seconds) {
  const rest = Math.max(0, Math.round(seconds));
  const i = units.findIndex(([, n]) => rest >= n);
  if (i < 0) return '0s';
  const [u, n] = units[i];
  const q = Math.floor(rest / n);
  let out = `${q}${u}`;
  if (i + 1 < units.length) {
    const [u2, n2] = units[i + 1];
    const r = Math.floor((rest - q * n) / n2);
    if (r > 0) out += ` ${r}${u2}`;
  }
  return out;
}

// absolute is a time in the reader's locale, to the second.
export function absolute(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// iso is the machine form of a time, for <time datetime>.
export function iso(t) {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// rate formats a per-second rate.
export function rate(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  if (v < 0.1) return v.toFixed(3);
  if (v < 10) return v.toFixed(2);
  return v.toFixed(1);
}

// ratio formats a ratio in [0, 1] as a percentage.
export function ratio(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const p = v * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

// seconds formats a latency given in seconds.
export function seconds(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v < 1) return `${Math.round(v * 1000)} ms`;
  return `${v.toFixed(2)} s`;
}

// bytes formats a byte count.
export function bytes(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
}

// value formats an alert's value: ratios and seconds keep three digits.
export function value(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1000 ? v.toPrecision(3) : v.toFixed(0);
}
