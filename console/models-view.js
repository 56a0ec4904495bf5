import { h } from './dom.js';

export function modelsView(main) {
  main.replaceChildren(h('h2', {}, 'Models'), h('p', {}, 'Coming in this branch.'));
  return () => undefined;
}

export function modelView(main, id) {
  main.replaceChildren(h('h2', {}, id));
  return () => undefined;
}
