import { h } from './dom.js';

export function candlesView(main) {
  main.replaceChildren(h('h2', {}, 'Candles'), h('p', {}, 'Coming in this branch.'));
  return () => undefined;
}
