import { api, query } from './api.js';
import { deadLettersSection } from './dead-letters-section.js';
import { EventStream } from './event-stream.js';
import { h, number, seconds, utc } from './dom.js';
import { lastErrorOf } from './workflow-state.js';

const CANDLE_TYPE = /^(api|archive|ws)_candles_(\w+)$/;

/**
 * One workflow: its stages, a timeline (status changes, restarts with their reasons) built from every
 * event the server still keeps for it and those that follow, its telemetry, its dead letters, and a gap audit.
 */
export function workflowDetailView(main, state, queueId) {
  const history = [];
  const summary = h('dl', { class: 'summary' });
  const stages = h('tbody');
  const timeline = h('ol', { class: 'timeline', 'aria-live': 'polite' });
  const telemetry = h('tbody');
  const audit = h('div', { class: 'audit', 'aria-live': 'polite' });
  const links = h('p', { class: 'links' });
  let wf = state.workflows.get(queueId);

  main.replaceChildren(
    h('p', {}, h('a', { href: '#/workflows' }, '← Workflows')),
    h('h2', {}, queueId),
    summary,
    links,
    h('section', { 'aria-labelledby': 'stages-title' }, h('h3', { id: 'stages-title' }, 'Stages'),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Stage', 'Status', 'Records', 'Restarts', 'Started', 'Finished', 'Error'].map((t) => h('th', { scope: 'col' }, t)))), stages))),
    h('section', { 'aria-labelledby': 'timeline-title' }, h('h3', { id: 'timeline-title' }, 'Timeline'), timeline),
    h('section', { 'aria-labelledby': 'audit-title' }, h('h3', { id: 'audit-title' }, 'Gap audit'),
      h('p', { class: 'hint' }, 'Compares what is stored with what the exchange has: holes of ours (records we lack) and the exchange\'s own (maintenance, before listing).'),
      h('button', { type: 'button', id: 'run-audit', onclick: () => void runAudit() }, 'Run gap audit'), audit),
    deadLettersSection(queueId),
    h('section', { 'aria-labelledby': 'telemetry-title' }, h('h3', { id: 'telemetry-title' }, 'Telemetry'),
      h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Time', 'Producer', 'Status', 'Records', 'Message'].map((t) => h('th', { scope: 'col' }, t)))), telemetry))),
  );

  function render() {
    if (wf === undefined) return;
    const err = lastErrorOf(wf);
    summary.replaceChildren(
      ...[
        ['Status', h('span', { class: `badge ${wf.status}`, 'data-field': 'status' }, wf.status)],
        ['Symbol', wf.gnn ? wf.gnn.symbols.join(', ') : wf.symbol],
        ['Type', wf.type],
        ['Range', wf.time_range],
        ['Created', utc(wf.created_at)],
        ['Started', utc(wf.started_at)],
        ['Finished', utc(wf.finished_at)],
        ['Error', err ? `${err.message} (${err.code})` : '—'],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    const candles = CANDLE_TYPE.exec(wf.type);
    links.replaceChildren(candles ? h('a', { href: `#/candles?${query({ symbol: wf.symbol, interval: candles[2], from: new Date(wf.from_ms).toISOString(), to: new Date(Math.min(wf.to_ms, Date.now())).toISOString() })}` }, 'Chart its candles') : '');
    stages.replaceChildren(...Object.entries(wf.stages).map(([role, st]) => h('tr', { 'data-stage': role },
      h('th', { scope: 'row' }, role), h('td', {}, h('span', { class: `badge ${st.status}` }, st.status)),
      h('td', { class: 'num' }, `${number(st.records)}${st.expected_records ? ` / ${number(st.expected_records)}` : ''}`),
      h('td', { class: 'num' }, String(st.restarts)), h('td', {}, utc(st.started_at)), h('td', {}, utc(st.finished_at)), h('td', { class: 'error' }, st.error?.message ?? '—'))));
    timeline.replaceChildren(...timelineOf(wf, history).map((e) => h('li', { 'data-kind': e.kind }, h('time', {}, utc(e.at)), ' ', e.text)));
    const events = history.filter((e) => e.kind === 'telemetry').slice(-100).reverse();
    telemetry.replaceChildren(...events.map(({ data: t }) => h('tr', {}, h('td', {}, seconds(t.timestamp * 1000)), h('td', {}, t.producer), h('td', {}, t.status), h('td', { class: 'num' }, number(t.records_written)), h('td', {}, t.message ?? ''))));
  }

  async function runAudit() {
    if (wf === undefined) return;
    audit.replaceChildren(h('p', {}, 'Auditing…'));
    try {
      const type = wf.type.startsWith('ws_') ? wf.type.replace(/^ws_/, 'api_') : wf.type;
      const report = await api(`/gaps?${query({ symbol: wf.symbol, type, from: new Date(wf.from_ms).toISOString(), to: new Date(Math.min(wf.to_ms, Date.now())).toISOString() })}`);
      audit.replaceChildren(
        h('p', { 'data-field': 'audit-summary' }, `${number(report.stored)} stored; ${report.ours} holes of ours, ${report.exchange} of the exchange`),
        report.holes.length === 0 ? '' : h('table', {}, h('thead', {}, h('tr', {}, ['Owner', 'From', 'To', 'Missing'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, report.holes.map((hole) => h('tr', {}, h('td', {}, hole.owner), h('td', {}, utc(hole.from_ms)), h('td', {}, utc(hole.to_ms)), h('td', { class: 'num' }, number(hole.count)))))),
      );
    } catch (err) {
      audit.replaceChildren(h('p', { class: 'error', role: 'alert' }, `The audit failed: ${err.message}`));
    }
  }

  let stream;
  let stopped = false;
  void (async () => {
    try {
      wf = await api(`/queues/${encodeURIComponent(queueId)}`);
      render();
    } catch (err) {
      main.append(h('p', { class: 'error', role: 'alert' }, err.message));
      return;
    }
    const epoch = await state.readyEpoch();
    if (stopped) return;
    // From the first event the server keeps: the workflow's whole history while it is kept.
    stream = new EventStream(`/events?${query({ queue_id: queueId })}`, {
      onEvent(kind, data) {
        history.push({ kind, data });
        if (kind === 'workflow' && data.updated_at >= (wf?.updated_at ?? 0)) wf = data;
        render();
      },
      onReset() {
        history.length = 0;
      },
    }, `${epoch}-0`).start();
  })();
  return () => {
    stopped = true;
    stream?.stop();
  };
}

/** Status changes and restarts (with their reasons) from the events, in order; the creation from the record. */
function timelineOf(wf, history) {
  const entries = [{ at: wf.created_at, kind: 'created', text: 'workflow created' }];
  let before;
  for (const { kind, data } of history) {
    if (kind === 'telemetry') {
      if (data.status === 'error') entries.push({ at: data.timestamp * 1000, kind: 'error', text: `${data.producer} reported an error: ${data.error?.message ?? data.message ?? ''}` });
      continue;
    }
    if (before === undefined || before.status !== data.status) {
      if (data.status !== 'pending') entries.push({ at: data.updated_at, kind: data.status, text: `workflow ${data.status}${data.error ? `: ${data.error.message}` : ''}` });
    }
    for (const [role, st] of Object.entries(data.stages)) {
      const was = before?.stages[role];
      if (was?.status === st.status && was?.restarts === st.restarts) continue;
      if (st.status === 'pending') continue;
      const text = st.status === 'restarting'
        ? `${role} restarting (restart ${st.restarts})${st.error ? `: ${st.error.message}` : ''}`
        : `${role} ${st.status}${st.status === 'failed' && st.error ? `: ${st.error.message}` : ''}`;
      entries.push({ at: data.updated_at, kind: `stage-${st.status}`, text });
    }
    before = data;
  }
  return entries;
}
