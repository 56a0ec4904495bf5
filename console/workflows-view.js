import { api } from './api.js';
import { confirmDialog, field, h, number, utc } from './dom.js';
import { lastErrorOf, recordsOf, restartsOf } from './workflow-state.js';

const STATUSES = ['pending', 'running', 'completed', 'failed', 'stopped'];
const COMMON_TYPES = [
  'api_candles_1m', 'api_candles_1h', 'api_candles_1d', 'api_trades', 'archive_candles_1h', 'archive_trades',
  'ws_candles_1m', 'ws_trades', 'ws_depth', 'gnn_graph', 'gnn_train',
];
const GRAPH_TYPES = new Set(['gnn_graph', 'gnn_train']);

/** The workflows, live: filters, the start form, and a table newest first with a stop button per active workflow. */
export function workflowsView(main, state) {
  const filters = { status: '', symbol: '', type: '' };
  const rows = new Map();
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty' }, 'No workflow matches.');
  const count = h('p', { class: 'count', 'aria-live': 'polite' });

  const statusSelect = h('select', { onchange: (e) => ((filters.status = e.target.value), render()) }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s }, s)));
  const symbolFilter = h('input', { type: 'search', placeholder: 'BTCUSDT', oninput: (e) => ((filters.symbol = e.target.value.trim().toUpperCase()), render()) });
  const typeFilter = h('input', { type: 'search', placeholder: 'api_candles_1h', oninput: (e) => ((filters.type = e.target.value.trim()), render()) });

  main.replaceChildren(
    h('h2', {}, 'Workflows'),
    startForm(),
    h('section', { 'aria-labelledby': 'list-title' },
      h('h3', { id: 'list-title' }, 'Running and past workflows'),
      h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter workflows', onsubmit: (e) => e.preventDefault() },
        field('filter-status', 'Filter by status', statusSelect), field('filter-symbol', 'Filter by symbol', symbolFilter), field('filter-type', 'Filter by type', typeFilter)),
      count,
      h('div', { class: 'scroll' },
        h('table', { class: 'workflows' },
          h('caption', { class: 'sr-only' }, 'Workflows, newest first'),
          h('thead', {}, h('tr', {}, ['Workflow', 'Status', 'Stages', 'Records', 'Rate', 'Restarts', 'Last error', 'Updated', ''].map((t) => h('th', { scope: 'col' }, t)))),
          tbody)),
      empty),
  );

  function matches(wf) {
    return (filters.status === '' || wf.status === filters.status) &&
      (filters.symbol === '' || wf.symbol.includes(filters.symbol) || (wf.gnn?.symbols ?? []).some((s) => s.includes(filters.symbol))) &&
      (filters.type === '' || wf.type.includes(filters.type));
  }

  function render() {
    const shown = [...state.workflows.values()].filter(matches).sort((a, b) => b.created_at - a.created_at);
    shown.forEach((wf, i) => {
      let row = rows.get(wf.queue_id);
      if (row === undefined) {
        row = newRow(wf);
        rows.set(wf.queue_id, row);
      }
      update(row, wf);
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] ?? null);
    });
    for (const [id, row] of rows) if (!shown.some((wf) => wf.queue_id === id)) row.tr.remove();
    empty.hidden = shown.length > 0;
    count.textContent = `${shown.length} of ${state.workflows.size} workflows`;
  }

  function newRow(wf) {
    const stop = h('button', { type: 'button', class: 'danger small', 'aria-label': `Stop ${wf.queue_id}`, onclick: () => stopWorkflow(wf.queue_id) }, 'Stop');
    const cells = { name: h('td'), status: h('td'), stages: h('td'), records: h('td', { class: 'num' }), rate: h('td', { class: 'num' }), restarts: h('td', { class: 'num' }), error: h('td', { class: 'error' }), updated: h('td'), action: h('td', {}, stop) };
    const tr = h('tr', { 'data-queue-id': wf.queue_id }, Object.values(cells));
    return { tr, cells, stop };
  }

  function update(row, wf) {
    const c = row.cells;
    row.tr.dataset.status = wf.status;
    c.name.replaceChildren(h('a', { href: `#/workflow/${encodeURIComponent(wf.queue_id)}` }, wf.queue_id), h('div', { class: 'sub' }, `${wf.symbol} · ${wf.type} · ${wf.time_range}`));
    c.status.replaceChildren(h('span', { class: `badge ${wf.status}`, 'data-field': 'status' }, wf.status));
    c.stages.replaceChildren(h('ul', { class: 'stages' }, Object.entries(wf.stages).map(([role, st]) =>
      h('li', { 'data-stage': role }, h('span', { class: 'role' }, role), ' ', h('span', { class: `badge ${st.status}` }, st.status), ' ', `${number(st.records)}${st.expected_records ? ` / ${number(st.expected_records)}` : ''}`))));
    c.records.textContent = number(recordsOf(wf));
    c.records.dataset.field = 'records';
    const rate = state.rates.get(wf.queue_id);
    c.rate.textContent = rate === undefined ? '—' : `${number(Math.round(rate))}/s`;
    c.restarts.textContent = String(restartsOf(wf));
    const err = lastErrorOf(wf);
    c.error.replaceChildren(err ? h('span', { title: err.code }, err.message) : '—');
    c.updated.textContent = utc(wf.updated_at);
    row.stop.hidden = !(wf.status === 'pending' || wf.status === 'running');
  }

  async function stopWorkflow(queueId) {
    const ok = await confirmDialog('Stop workflow', `Stop ${queueId}? Every stage is told to stop; the workflow ends "stopped" and keeps what it stored.`, 'Stop workflow');
    if (!ok) return;
    try {
      state.workflow(await api(`/queues/${encodeURIComponent(queueId)}/stop`, { method: 'POST', body: {} }));
    } catch (err) {
      announce(`Stopping ${queueId} failed: ${err.message}`, true);
    }
  }

  const unlisten = state.listen(() => schedule());
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }
  render();
  return () => unlisten();
}

/** Where form outcomes are told (a live region). */
const outcome = h('div', { id: 'start-outcome', class: 'outcome', 'aria-live': 'polite' });

function announce(text, isError) {
  outcome.append(h('p', { class: isError ? 'error' : 'ok', role: isError ? 'alert' : undefined }, text));
}

function startForm() {
  const symbols = h('input', { type: 'text', required: true, placeholder: 'BTCUSDT, ETHUSDT', autocomplete: 'off' });
  const type = h('input', { type: 'text', required: true, list: 'types', placeholder: 'api_candles_1h', autocomplete: 'off' });
  const from = h('input', { type: 'date', required: true });
  const to = h('input', { type: 'date', required: true });
  const interval = h('input', { type: 'text', placeholder: '1h', value: '1h' });
  const intervalField = field('start-interval', 'Interval (graph types)', interval);
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start');
  const form = h('form', { class: 'start', 'aria-labelledby': 'start-title', novalidate: true, onsubmit: (e) => void start(e) },
    h('h3', { id: 'start-title' }, 'Start a workflow'),
    h('div', { class: 'row' },
      field('start-symbols', 'Symbol(s)', symbols),
      field('start-type', 'Type', type),
      h('datalist', { id: 'types' }, COMMON_TYPES.map((t) => h('option', { value: t }))),
      field('start-from', 'From (UTC)', from),
      field('start-to', 'To (UTC, excluded)', to),
      intervalField,
      h('div', { class: 'field submit' }, submit)),
    h('p', { class: 'hint' }, 'One workflow per symbol; a graph type (gnn_graph, gnn_train) takes all the symbols as its universe. The server checks everything and says what it accepts.'),
    outcome);

  async function start(event) {
    event.preventDefault();
    outcome.replaceChildren();
    const list = symbols.value.split(/[\s,]+/).map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
    const bodies = GRAPH_TYPES.has(type.value.trim())
      ? [{ type: type.value.trim(), symbols: list, interval: interval.value.trim(), from: from.value, to: to.value }]
      : (list.length > 0 ? list : ['']).map((symbol) => ({ symbol, type: type.value.trim(), from: from.value, to: to.value }));
    submit.disabled = true;
    try {
      for (const body of bodies) {
        try {
          const created = await api('/queues', { method: 'POST', body });
          announce(`Started ${created.queue_id}`, false);
        } catch (err) {
          announce(`${body.symbol ?? body.symbols.join(',')}: ${err.message}`, true);
        }
      }
    } finally {
      submit.disabled = false;
    }
  }
  return form;
}
