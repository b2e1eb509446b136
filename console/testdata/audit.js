// Accessibility audit of the page, run by browser_test.go: every control
// has an accessible name, the landmarks exist, every text has a contrast of
// at least 4.5:1 (3:1 when large) computed from the rendered styles, images
// have text alternatives, IDs are unique. window.vigilAudit(root, opts)
// returns the findings as strings; none means the page passed.
window.vigilAudit = (root = document.body, opts = {}) => {
  const out = [];
  const desc = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    if (typeof el.className === 'string' && el.className.trim()) s += `.${el.className.trim().split(/\s+/).join('.')}`;
    const t = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return t ? `${s} "${t}"` : s;
  };
  const shown = (el) => {
    if (!el.isConnected) return false;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const text = (el) => (el ? (el.textContent || '').replace(/\s+/g, ' ').trim() : '');
  const name = (el) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const t = by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
      if (t) return t;
    }
    const al = (el.getAttribute('aria-label') || '').trim();
    if (al) return al;
    if (el.labels && el.labels.length) {
      const t = [...el.labels].map(text).join(' ').trim();
      if (t) return t;
    }
    if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) || el.getAttribute('role') === 'button') {
      const t = text(el);
      if (t) return t;
    }
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type) && el.value) return el.value;
    return (el.getAttribute('title') || '').trim();
  };

  // Controls.
  const controls = root.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href], [role=button], [tabindex]:not([tabindex="-1"])');
  for (const el of controls) {
    if (!shown(el)) continue;
    if (!name(el)) out.push(`control without an accessible name: ${desc(el)}`);
  }
  // Images.
  for (const el of root.querySelectorAll('img, svg[role=img], [role=img]')) {
    if (!shown(el)) continue;
    if (el.tagName === 'IMG' ? !el.hasAttribute('alt') : !name(el)) out.push(`image without a text alternative: ${desc(el)}`);
  }
  // Landmarks and headings (whole document only).
  if (root === document.body) {
    const count = (sel) => [...document.querySelectorAll(sel)].filter(shown).length;
    if (count('main, [role=main]') !== 1) out.push(`want exactly one main landmark, have ${count('main, [role=main]')}`);
    if (count('header[role=banner], body > header, [role=banner]') < 1) out.push('no banner landmark');
    if (count('footer[role=contentinfo], body > footer, [role=contentinfo]') < 1) out.push('no contentinfo landmark');
    if (opts.nav && count('nav, [role=navigation]') < 1) out.push('no navigation landmark');
    if (count('h1') < 1) out.push('no h1');
    const ids = new Map();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
    for (const [id, n] of ids) if (n > 1) out.push(`id "${id}" is used ${n} times`);
  }

  // Contrast.
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const lum = (c) => {
    const ch = (v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.push(e);
    let bg = { r: 255, g: 255, b: 255, a: 1 }; // the canvas
    for (const e of chain.reverse()) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage && cs.backgroundImage !== 'none') return null; // not computable
      const c = parse(cs.backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const el = n.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    if (!shown(el) || el.closest('[aria-hidden="true"], [disabled], title, option, .visually-hidden, script, style')) continue;
    const cs = getComputedStyle(el);
    const fg = parse(cs.color);
    const bg = background(el);
    if (!fg || !bg) continue;
    const ink = over(fg, bg);
    const l1 = lum(ink);
    const l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const min = large ? 3 : 4.5;
    if (ratio + 1e-9 < min) out.push(`contrast ${ratio.toFixed(2)}:1 < ${min}:1 for ${desc(el)} (${cs.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
  return out;
};
