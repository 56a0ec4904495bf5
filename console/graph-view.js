import { h } from './dom.js';

export function graphView(main) {
  main.replaceChildren(h('h2', {}, 'Graph'), h('p', {}, 'Coming in this branch.'));
  return () => undefined;
}
