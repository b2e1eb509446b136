// Keyboard shortcuts, as in karma and Gmail: single keys, never while
// typing in a field or with a modifier held.

const NOT_TEXT = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image']);

// typing tells whether el takes text, so a key press belongs to it.
function typing(el) {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === 'INPUT') return !NOT_TEXT.has(el.type);
  return el.isContentEditable || tag === 'TEXTAREA' || tag === 'SELECT';
}

// install calls handlers[key] for key presses outside fields and dialogs.
// The character of a handled key is swallowed, so a shortcut that focuses a
// field (a, s, /) does not also type itself into it.
export function install(handlers) {
  let swallow = null;
  document.addEventListener('keydown', (ev) => {
    swallow = null;
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (typing(ev.target) || document.querySelector('dialog[open]')) return;
    const fn = handlers[ev.key];
    if (!fn) return;
    ev.preventDefault();
    swallow = ev.key;
    fn(ev);
  });
  const eat = (ev) => {
    if (swallow !== null && ev.key === swallow) ev.preventDefault();
  };
  document.addEventListener('keypress', eat, true);
  document.addEventListener('beforeinput', (ev) => {
    if (swallow !== null && ev.data === swallow) ev.preventDefault();
  }, true);
  document.addEventListener('keyup', () => { swallow = null; }, true);
}
