/** Builds an element: `h('td', { class: 'x' }, 'text', child)`. Text is always text, never markup. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  el.append(...children.flat().filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

/** `2024-08-01 12:00` (UTC), or an em dash. */
export function utc(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function seconds(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

export function number(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US');
}

/** Asks the user to confirm in the page's dialog; resolves true for OK. */
export function confirmDialog(title, message, ok) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-message').textContent = message;
  document.getElementById('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** A labelled form field. */
export function field(id, label, input) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}
