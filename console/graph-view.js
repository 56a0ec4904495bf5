import { api, query } from './api.js';
import { field, h, s, utc } from './dom.js';

const SIZE = 520;
const STEP_MS = { '1m': 60e3, '5m': 300e3, '15m': 900e3, '1h': 3600e3, '4h': 14400e3, '1d': 86400e3 };

/** The correlation graph of a universe at a chosen time, edges coloured by ρ, a slider through the snapshot times. */
export function graphView(main, params) {
  const inputs = {
    symbols: h('input', { type: 'text', required: true, value: params.get('symbols') ?? 'BTCUSDT,ETHUSDT', autocomplete: 'off' }),
    interval: h('input', { type: 'text', required: true, value: params.get('interval') ?? '1h' }),
    from: h('input', { type: 'text', required: true, value: params.get('from') ?? '', placeholder: '2024-08-01' }),
    to: h('input', { type: 'text', required: true, value: params.get('to') ?? '', placeholder: '2024-08-03' }),
    window: h('input', { type: 'number', min: 3, required: true, value: params.get('window') ?? '24' }),
  };
  const slider = h('input', { type: 'range', min: 0, max: 0, value: 0, step: 1 });
  const at = h('output', { for: 'g-at' });
  const status = h('p', { class: 'status', 'aria-live': 'polite' });
  const figure = h('figure', {});
  main.replaceChildren(
    h('h2', {}, 'Graph'),
    h('form', { class: 'start row', 'aria-label': 'Universe', onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/graph?${query(Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()])))}`;
    } },
    field('g-symbols', 'Symbols', inputs.symbols), field('g-interval', 'Interval', inputs.interval), field('g-from', 'From (UTC)', inputs.from),
    field('g-to', 'To (UTC, excluded)', inputs.to), field('g-window', 'Window (returns)', inputs.window),
    h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Show'))),
    field('g-at', 'Snapshot time', slider), at, status, figure);

  const q = Object.fromEntries(params);
  if (!q.symbols || !q.from || !q.to) return () => undefined;
  const step = STEP_MS[q.interval] ?? 3600e3;
  const fromMs = Date.parse(q.from);
  const toMs = Date.parse(q.to);
  // The first time with a whole window of returns before it (window + 1 candles).
  const first = fromMs + (Number(q.window ?? 24) + 1) * step;
  const times = [];
  for (let t = first; t < toMs && times.length < 5000; t += step) times.push(t);
  slider.max = String(Math.max(0, times.length - 1));
  slider.value = slider.max;
  let seq = 0;
  const show = async () => {
    const mine = ++seq;
    const when = times[Number(slider.value)] ?? toMs;
    at.textContent = utc(when);
    slider.setAttribute('aria-valuetext', utc(when));
    try {
      const graph = await api(`/graph?${query({ symbols: q.symbols, interval: q.interval, from: q.from, to: q.to, window: q.window, at: new Date(when).toISOString() })}`);
      if (mine !== seq) return;
      status.textContent = `${graph.symbols.length} symbols, ${graph.edges.length} edges at ${utc(graph.at_ms)} (window ${graph.window})`;
      status.dataset.edges = String(graph.edges.length);
      figure.replaceChildren(...draw(graph));
    } catch (err) {
      if (mine === seq) status.replaceChildren(h('span', { class: 'error', role: 'alert' }, `Could not draw the graph: ${err.message}`));
    }
  };
  slider.addEventListener('input', () => void show());
  void show();
  return () => {
    seq++;
  };
}

/** ρ from -1 (blue) through 0 (grey) to 1 (orange-red). */
function colour(rho) {
  const a = Math.min(1, Math.abs(rho));
  return rho >= 0 ? `rgba(194, 65, 12, ${0.25 + 0.75 * a})` : `rgba(29, 78, 216, ${0.25 + 0.75 * a})`;
}

function draw(graph) {
  const n = graph.symbols.length;
  const r = SIZE / 2 - 60;
  const pos = new Map(graph.symbols.map((sym, i) => [sym, [SIZE / 2 + r * Math.cos((2 * Math.PI * i) / n - Math.PI / 2), SIZE / 2 + r * Math.sin((2 * Math.PI * i) / n - Math.PI / 2)]]));
  const label = `Correlation graph of ${graph.symbols.join(', ')} at ${utc(graph.at_ms)}: ${graph.edges.map((e) => `${e.source}–${e.target} ρ ${e.weight.toFixed(2)}`).join('; ') || 'no edge'}`;
  const svg = s('svg', { class: 'chart graph', viewBox: `0 0 ${SIZE} ${SIZE}`, role: 'img', 'aria-label': label },
    s('title', {}, label),
    graph.edges.map((e) => {
      const [x1, y1] = pos.get(e.source);
      const [x2, y2] = pos.get(e.target);
      return s('g', { class: 'edge' },
        s('line', { x1, y1, x2, y2, stroke: colour(e.weight), 'stroke-width': 1 + 5 * Math.abs(e.weight), 'data-weight': e.weight }, s('title', {}, `${e.source}–${e.target}: ρ ${e.weight.toFixed(3)}`)),
        s('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, e.weight.toFixed(2)));
    }),
    graph.symbols.map((sym) => {
      const [x, y] = pos.get(sym);
      return s('g', { class: 'node' }, s('circle', { cx: x, cy: y, r: 22 }), s('text', { x, y: y + 38, 'text-anchor': 'middle' }, sym));
    }));
  return [svg, h('figcaption', {}, h('ul', { class: 'legend' }, h('li', {}, h('span', { class: 'swatch pos' }), 'ρ > 0'), h('li', {}, h('span', { class: 'swatch neg' }), 'ρ < 0'), h('li', {}, 'width and opacity grow with |ρ|')))];
}
