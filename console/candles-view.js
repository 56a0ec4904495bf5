import { api, query } from './api.js';
import { field, h, number, s, utc } from './dom.js';

const W = 1000;
const LEFT = 64;
const RIGHT = 10;
const PRICE = { top: 16, bottom: 290 };
const VOLUME = { top: 300, bottom: 360 };
const RSI = { top: 385, bottom: 470 };
const H = 480;
const MAX_PAGES = 5;
const INDICATORS = 'ema:20,vwap:24,rsi:14';

/** Stored candles as a chart: candles and volume, EMA 20 and VWAP 24 over them, RSI 14 below, holes shaded and labelled by owner. */
export function candlesView(main, params) {
  const inputs = {
    symbol: h('input', { type: 'text', required: true, value: params.get('symbol') ?? 'BTCUSDT', autocomplete: 'off' }),
    interval: h('input', { type: 'text', required: true, value: params.get('interval') ?? '1h', autocomplete: 'off' }),
    from: h('input', { type: 'text', required: true, value: params.get('from') ?? '', placeholder: '2024-08-01' }),
    to: h('input', { type: 'text', required: true, value: params.get('to') ?? '', placeholder: '2024-08-03' }),
  };
  const figure = h('figure', { class: 'chart-figure' });
  const status = h('p', { class: 'status', 'aria-live': 'polite' });
  main.replaceChildren(
    h('h2', {}, 'Candles'),
    h('form', { class: 'start row', 'aria-label': 'Series to chart', onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/candles?${query(Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()])))}`;
    } },
    field('c-symbol', 'Symbol', inputs.symbol), field('c-interval', 'Interval', inputs.interval), field('c-from', 'From (UTC)', inputs.from), field('c-to', 'To (UTC, excluded)', inputs.to),
    h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Show'))),
    status,
    figure,
  );
  const abort = new AbortController();
  if (params.get('symbol') && params.get('from') && params.get('to')) void load(Object.fromEntries(params), figure, status, abort.signal);
  return () => abort.abort();
}

async function load(q, figure, status, signal) {
  status.textContent = 'Reading candles…';
  try {
    const series = { symbol: q.symbol, interval: q.interval, from: q.from, to: q.to };
    const candles = [];
    let after;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await api(`/candles?${query({ ...series, limit: 10000, after })}`, { signal });
      candles.push(...body.candles);
      after = body.next;
      if (after === undefined) break;
    }
    const [indicators, gaps] = await Promise.all([
      api(`/indicators?${query({ ...series, ind: INDICATORS })}`, { signal }).catch((err) => ({ error: err })),
      api(`/gaps?${query({ symbol: q.symbol, type: `api_candles_${q.interval}`, from: q.from, to: q.to })}`, { signal }).catch((err) => ({ error: err })),
    ]);
    const holes = gaps.error ? [] : gaps.holes;
    const notes = [];
    if (after !== undefined) notes.push(`first ${number(candles.length)} candles only`);
    if (indicators.error) notes.push(`indicators unavailable: ${indicators.error.message}`);
    if (gaps.error) notes.push(`holes unavailable: ${gaps.error.message}`);
    status.textContent = `${number(candles.length)} candles, ${holes.length} holes (${holes.filter((x) => x.owner === 'ours').length} ours, ${holes.filter((x) => x.owner === 'exchange').length} the exchange's)${notes.length ? `; ${notes.join('; ')}` : ''}`;
    status.dataset.candles = String(candles.length);
    const from = Date.parse(indicators.from ?? gaps.from ?? q.from);
    const to = Date.parse(indicators.to ?? gaps.to ?? q.to);
    figure.replaceChildren(...draw(candles, indicators.rows ?? [], holes, Number.isFinite(from) ? from : candles[0]?.open_time, Number.isFinite(to) ? to : candles.at(-1)?.close_time, q));
  } catch (err) {
    if (signal.aborted) return;
    status.replaceChildren(h('span', { class: 'error', role: 'alert' }, `Could not chart the candles: ${err.message}`));
  }
}

function scale(lo, hi, top, bottom) {
  const span = hi - lo || 1;
  return (v) => bottom - ((v - lo) / span) * (bottom - top);
}

function draw(candles, rows, holes, fromMs, toMs, q) {
  if (candles.length === 0) return [h('p', {}, 'No stored candle in this range.')];
  const x = (t) => LEFT + ((t - fromMs) / (toMs - fromMs || 1)) * (W - LEFT - RIGHT);
  const step = candles.length > 1 ? (candles[1].open_time - candles[0].open_time) : (toMs - fromMs);
  const bar = Math.max(1, (x(fromMs + step) - x(fromMs)) * 0.7);
  const lows = candles.map((c) => Number(c.low));
  const highs = candles.map((c) => Number(c.high));
  const byTime = new Map(rows.map((r) => [r.open_time, r]));
  const overlay = (name) => candles.map((c) => byTime.get(c.open_time)?.[name]).filter((v) => v !== null && v !== undefined);
  const lo = Math.min(...lows, ...overlay('ema_20'), ...overlay('vwap_24'));
  const hi = Math.max(...highs, ...overlay('ema_20'), ...overlay('vwap_24'));
  const y = scale(lo, hi, PRICE.top, PRICE.bottom);
  const maxVolume = Math.max(...candles.map((c) => Number(c.volume)), 1);
  const yv = scale(0, maxVolume, VOLUME.top, VOLUME.bottom);
  const yr = scale(0, 100, RSI.top, RSI.bottom);
  const line = (name, ys, cls) => {
    const pts = candles.map((c) => [x(c.open_time + step / 2), byTime.get(c.open_time)?.[name]]).filter(([, v]) => v !== null && v !== undefined);
    return pts.length < 2 ? null : s('polyline', { class: cls, points: pts.map(([px, v]) => `${px.toFixed(1)},${ys(v).toFixed(1)}`).join(' ') });
  };
  const cursor = s('line', { class: 'cursor', x1: -10, x2: -10, y1: PRICE.top, y2: RSI.bottom, visibility: 'hidden' });
  const readout = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Point at or focus the chart and use ← → to read a candle.');
  const label = `Candles of ${q.symbol} ${q.interval} from ${utc(fromMs)} to ${utc(toMs)}: ${candles.length} candles, ${holes.length} holes`;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, tabindex: 0 },
    s('title', {}, label),
    holes.map((hole) => s('g', {},
      s('rect', { class: `hole ${hole.owner}`, x: x(hole.from_ms), y: PRICE.top, width: Math.max(2, x(hole.to_ms) - x(hole.from_ms)), height: VOLUME.bottom - PRICE.top, 'data-owner': hole.owner },
        s('title', {}, `${hole.owner === 'ours' ? 'Ours' : 'The exchange\'s'}: ${number(hole.count)} candles missing, ${utc(hole.from_ms)} – ${utc(hole.to_ms)}`)),
      s('text', { class: 'hole-label', x: x(hole.from_ms) + 3, y: PRICE.top + 12 }, hole.owner === 'ours' ? 'ours' : 'exchange'))),
    s('line', { class: 'axis', x1: LEFT, x2: W - RIGHT, y1: PRICE.bottom, y2: PRICE.bottom }),
    s('line', { class: 'axis', x1: LEFT, x2: W - RIGHT, y1: VOLUME.bottom, y2: VOLUME.bottom }),
    s('line', { class: 'axis', x1: LEFT, x2: W - RIGHT, y1: yr(70), y2: yr(70) }),
    s('line', { class: 'axis', x1: LEFT, x2: W - RIGHT, y1: yr(30), y2: yr(30) }),
    s('text', { x: 4, y: PRICE.top + 10 }, hi.toPrecision(6)),
    s('text', { x: 4, y: PRICE.bottom }, lo.toPrecision(6)),
    s('text', { x: 4, y: VOLUME.top + 10 }, 'volume'),
    s('text', { x: 4, y: RSI.top + 10 }, 'RSI 14'),
    s('text', { x: 4, y: yr(70) + 4 }, '70'),
    s('text', { x: 4, y: yr(30) + 4 }, '30'),
    s('text', { x: LEFT, y: H - 2 }, utc(fromMs)),
    s('text', { x: W - RIGHT, y: H - 2, 'text-anchor': 'end' }, utc(toMs)),
    candles.map((c) => {
      const up = Number(c.close) >= Number(c.open);
      const cx = x(c.open_time + step / 2);
      const top = y(Math.max(Number(c.open), Number(c.close)));
      return s('g', {},
        s('line', { class: `wick ${up ? 'up' : 'down'}`, x1: cx, x2: cx, y1: y(Number(c.high)), y2: y(Number(c.low)) }),
        s('rect', { class: `candle ${up ? 'up' : 'down'}`, x: cx - bar / 2, y: top, width: bar, height: Math.max(1, y(Math.min(Number(c.open), Number(c.close))) - top) }),
        s('rect', { class: 'volume', x: cx - bar / 2, y: yv(Number(c.volume)), width: bar, height: VOLUME.bottom - yv(Number(c.volume)) }));
    }),
    line('ema_20', y, 'ema'),
    line('vwap_24', y, 'vwap'),
    line('rsi_14', yr, 'rsi'),
    cursor,
  );
  let index = candles.length - 1;
  const show = (i) => {
    index = Math.max(0, Math.min(candles.length - 1, i));
    const c = candles[index];
    const r = byTime.get(c.open_time) ?? {};
    const cx = x(c.open_time + step / 2);
    cursor.setAttribute('x1', cx);
    cursor.setAttribute('x2', cx);
    cursor.setAttribute('visibility', 'visible');
    const fmt = (v) => (v === null || v === undefined ? '—' : Number(v).toPrecision(6));
    readout.textContent = `${utc(c.open_time)}  O ${c.open}  H ${c.high}  L ${c.low}  C ${c.close}  V ${c.volume}  EMA20 ${fmt(r.ema_20)}  VWAP24 ${fmt(r.vwap_24)}  RSI14 ${fmt(r.rsi_14)}`;
  };
  svg.addEventListener('pointermove', (e) => {
    const box = svg.getBoundingClientRect();
    const t = fromMs + (((e.clientX - box.left) / box.width) * W - LEFT) / (W - LEFT - RIGHT) * (toMs - fromMs);
    let best = 0;
    for (let i = 1; i < candles.length; i++) if (Math.abs(candles[i].open_time - t) < Math.abs(candles[best].open_time - t)) best = i;
    show(best);
  });
  svg.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      show(index + (e.key === 'ArrowLeft' ? -1 : 1));
    }
  });
  const legend = h('ul', { class: 'legend' },
    h('li', {}, h('span', { class: 'swatch ema' }), 'EMA 20'), h('li', {}, h('span', { class: 'swatch vwap' }), 'VWAP 24'), h('li', {}, h('span', { class: 'swatch rsi' }), 'RSI 14'),
    h('li', {}, h('span', { class: 'swatch ours' }), 'hole: ours (we lack what the exchange has)'), h('li', {}, h('span', { class: 'swatch exchange' }), 'hole: the exchange\'s'));
  return [svg, h('figcaption', {}, legend, readout)];
}
