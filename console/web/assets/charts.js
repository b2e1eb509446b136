// Sparklines drawn as SVG from the stream's history.
import { svg } from './dom.js';

// sparkline draws values (numbers, null for a gap) into a small SVG with
// an accessible name.
export function sparkline(values, { label, small = false, max } = {}) {
  const w = 120;
  const hgt = small ? 24 : 40;
  const el = svg('svg', {
    class: small ? 'spark small' : 'spark', viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none',
    role: 'img', 'aria-label': label,
  });
  el.append(svg('title', { text: label }));
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => v !== null && v !== undefined && Number.isFinite(v));
  if (pts.length < 2) return el;
  const top = Math.max(max ?? 0, ...pts.map(([, v]) => v)) || 1;
  const n = Math.max(values.length - 1, 1);
  const xy = pts.map(([i, v]) => [(i / n) * w, hgt - 2 - (v / top) * (hgt - 4)]);
  const line = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const area = `${xy[0][0].toFixed(1)},${hgt} ${line} ${xy[xy.length - 1][0].toFixed(1)},${hgt}`;
  el.append(svg('polygon', { points: area }), svg('polyline', { points: line }));
  return el;
}
