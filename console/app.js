import { EventStream } from './event-stream.js';
import { h } from './dom.js';
import { WorkflowState } from './workflow-state.js';
import { workflowsView } from './workflows-view.js';
import { workflowDetailView } from './workflow-detail-view.js';
import { candlesView } from './candles-view.js';
import { graphView } from './graph-view.js';
import { modelsView, modelView } from './models-view.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
const state = new WorkflowState();
const LIVE_TEXT = { live: 'live', reconnecting: 'reconnecting…', refused: 'token needed', connecting: 'connecting…' };

function setLive(which) {
  live.dataset.state = which;
  live.textContent = LIVE_TEXT[which] ?? which;
}

/** One stream for the whole page: the snapshot is read once it is open, and again after a reset. */
function connect() {
  let loaded = false;
  const reload = () =>
    state.load().catch((err) => {
      main.prepend(h('p', { class: 'error', role: 'alert' }, `Reading the workflows failed: ${err.message}`));
    });
  new EventStream('/events', {
    onReady(lastId) {
      state.setEpoch(lastId.split('-')[0]);
      if (!loaded) {
        loaded = true;
        void reload();
      }
    },
    onReset() {
      void reload();
    },
    onEvent(kind, data) {
      if (kind === 'workflow') state.workflow(data);
      else if (kind === 'telemetry') state.telemetryEvent(data);
    },
    onState: setLive,
  }).start();
}

let leave = () => undefined;

function route() {
  leave();
  const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter((p) => p !== '');
  const view = parts[0] ?? 'workflows';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.view === (view === 'workflow' ? 'workflows' : view === 'model' ? 'models' : view)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const id = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
  switch (view) {
    case 'workflow':
      leave = workflowDetailView(main, state, id);
      break;
    case 'candles':
      leave = candlesView(main, params);
      break;
    case 'graph':
      leave = graphView(main, params);
      break;
    case 'models':
      leave = id === undefined ? modelsView(main) : modelView(main, id);
      break;
    default:
      leave = workflowsView(main, state);
  }
  document.title = `${main.querySelector('h2')?.textContent ?? 'Console'} · StreamForge`;
}

window.addEventListener('hashchange', () => {
  route();
  main.focus();
});
connect();
route();
