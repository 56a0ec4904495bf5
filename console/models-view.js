import { api, query } from './api.js';
import { field, h, s, utc } from './dom.js';

const SCORES = ['gnn', 'mlp', 'logistic', 'majority'];
const pct = (v) => `${(v * 100).toFixed(1)}%`;

/** The model registry: each model's test scores beside its baselines, and which are promoted. */
export function modelsView(main) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', {}, 'Reading the registry…'));
  main.replaceChildren(h('h2', {}, 'Models'), body);
  void api('/models').then(({ models }) => {
    if (models.length === 0) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No model yet: a gnn_train workflow stores one.'));
      return;
    }
    body.replaceChildren(h('div', { class: 'scroll' }, h('table', { class: 'models' },
      h('caption', { class: 'sr-only' }, 'Models, newest first, test accuracy beside the baselines'),
      h('thead', {}, h('tr', {}, ['Model', 'Universe', 'Created', ...SCORES.map((k) => `${k} acc.`), 'Promoted'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, models.map((m) => h('tr', { 'data-model': m.id },
        h('th', { scope: 'row' }, h('a', { href: `#/models/${encodeURIComponent(m.id)}` }, m.id)),
        h('td', {}, `${m.symbols.join(', ')} · ${m.interval}`), h('td', {}, utc(m.created_at_ms)),
        SCORES.map((k) => h('td', { class: 'num' }, pct(m.metrics[k].accuracy))),
        h('td', {}, m.promoted ? 'promoted' : '—')))))));
  }, (err) => body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message)));
  return () => undefined;
}

/** One model: its scores beside the baselines, its training curves, and a prediction at a chosen time. */
export function modelView(main, id) {
  const body = h('div', {});
  main.replaceChildren(h('p', {}, h('a', { href: '#/models' }, '← Models')), h('h2', {}, id), body);
  void api(`/models/${encodeURIComponent(id)}`).then((m) => {
    const at = h('input', { type: 'text', required: true, value: new Date(m.split.test.to_ms).toISOString(), autocomplete: 'off' });
    const out = h('div', { 'aria-live': 'polite' });
    body.replaceChildren(
      h('p', {}, `${m.symbols.join(', ')} · ${m.interval} · horizon ${m.horizon} · ${m.hyperparameters.arch} · ${m.promoted ? 'promoted' : 'not promoted'} · best epoch ${m.best_epoch}`),
      h('h3', {}, 'Test scores beside the baselines'),
      h('table', {}, h('thead', {}, h('tr', {}, ['Model', 'Accuracy', 'Macro F1', 'Log loss'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, SCORES.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, pct(m.metrics[k].accuracy)), h('td', { class: 'num' }, m.metrics[k].macro_f1.toFixed(3)), h('td', { class: 'num' }, m.metrics[k].log_loss.toFixed(3)))))),
      h('h3', {}, 'Training'), curves(m.history),
      h('h3', {}, 'Prediction'),
      h('form', { class: 'start row', 'aria-label': 'Predict', onsubmit: (e) => {
        e.preventDefault();
        out.replaceChildren(h('p', {}, 'Predicting…'));
        api(`/models/${encodeURIComponent(id)}/predict?${query({ at: at.value.trim() })}`).then((p) => out.replaceChildren(
          h('p', {}, `From the candle of ${utc(p.last_candle_ms)}, ${p.horizon} candles ahead`),
          h('table', {}, h('thead', {}, h('tr', {}, ['Symbol', 'Class', 'UP', 'DOWN', 'FLAT'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, p.predictions.map((x) => h('tr', {}, h('th', { scope: 'row' }, x.symbol), h('td', {}, x.class), ['UP', 'DOWN', 'FLAT'].map((c) => h('td', { class: 'num' }, pct(x.probabilities[c]))))))),
        ), (err) => out.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message)));
      } }, field('m-at', 'At (UTC)', at), h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Predict'))),
      out);
  }, (err) => body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message)));
  return () => undefined;
}

/** Loss and validation loss (left scale) and validation accuracy (0–100 %, right scale) per epoch. */
function curves(history) {
  if (history.length === 0) return h('p', { class: 'empty' }, 'No epoch recorded.');
  const W = 640, H = 240, L = 48, R = 48, T = 12, B = 28;
  const x = (i) => L + (history.length === 1 ? 0 : (i / (history.length - 1)) * (W - L - R));
  const maxLoss = Math.max(...history.flatMap((e) => [e.loss, e.val_loss]), 1e-9);
  const yl = (v) => H - B - (v / maxLoss) * (H - T - B);
  const ya = (v) => H - B - v * (H - T - B);
  const line = (vals, ys, cls) => s('polyline', { class: cls, points: vals.map((v, i) => `${x(i).toFixed(1)},${ys(v).toFixed(1)}`).join(' ') });
  const label = `Training curves over ${history.length} epochs: last loss ${history.at(-1).loss.toFixed(3)}, validation accuracy ${pct(history.at(-1).val_accuracy)}`;
  return h('figure', {}, s('svg', { class: 'chart curves', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('title', {}, label),
    s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }),
    s('text', { x: 4, y: T + 8 }, maxLoss.toPrecision(3)), s('text', { x: W - R + 4, y: T + 8 }, '100%'), s('text', { x: W - R + 4, y: H - B }, '0%'),
    s('text', { x: L, y: H - 8 }, 'epoch 1'), s('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, `epoch ${history.length}`),
    line(history.map((e) => e.loss), yl, 'loss'), line(history.map((e) => e.val_loss), yl, 'val-loss'), line(history.map((e) => e.val_accuracy), ya, 'val-accuracy')),
  h('figcaption', {}, h('ul', { class: 'legend' }, h('li', {}, h('span', { class: 'swatch loss' }), 'loss'), h('li', {}, h('span', { class: 'swatch val-loss' }), 'validation loss'), h('li', {}, h('span', { class: 'swatch val-accuracy' }), 'validation accuracy (right scale)'))));
}
