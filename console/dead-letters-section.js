import { api, query } from './api.js';
import { h, number, utc } from './dom.js';

/** How many dead letters the page reads at once. */
const LIMIT = 100;
/** Characters of a refused record shown; the API has it whole. */
const VALUE_CHARS = 160;

/**
 * A workflow's dead letters: the records its connector refused, each with the error and where it was
 * on the data topic; read when the page opens and on demand.
 */
export function deadLettersSection(queueId) {
  const out = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    out.replaceChildren(h('p', {}, 'Reading the dead letters…'));
    try {
      const page = await api(`/queues/${encodeURIComponent(queueId)}/dead-letters?${query({ limit: LIMIT })}`);
      out.replaceChildren(h('p', { 'data-field': 'dead-letters-summary' }, summaryOf(page)), page.dead_letters.length === 0 ? '' : table(page.dead_letters));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Reading the dead letters failed: ${err.message}`));
    }
  };
  void load();
  return h('section', { 'aria-labelledby': 'dead-letters-title' }, h('h3', { id: 'dead-letters-title' }, 'Dead letters'),
    h('p', { class: 'hint' }, 'Records the connector refused (they failed their schema), with the reason, from the workflow\'s dead-letter topic.'),
    h('button', { type: 'button', onclick: () => void load() }, 'Read dead letters again'), out);
}

function summaryOf(page) {
  if (page.topic_deleted) return `None kept: the workflow's topics (${page.topic}) were deleted after it ended.`;
  if (page.dead_letters.length === 0) return 'No dead letters.';
  const n = number(page.dead_letters.length);
  return page.more ? `The first ${n} dead letters (more on ${page.topic}).` : `${n} dead letter${page.dead_letters.length === 1 ? '' : 's'}.`;
}

function table(letters) {
  return h('div', { class: 'scroll' }, h('table', { class: 'dead-letters' },
    h('thead', {}, h('tr', {}, ['Time', 'Partition / offset', 'Error', 'Record'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, letters.map((d) => h('tr', { 'data-offset': `${d.partition}/${d.offset}` },
      h('td', {}, utc(d.timestamp * 1000)), h('td', { class: 'num' }, `${d.partition} / ${d.offset}`),
      h('td', { class: 'error' }, `${d.error.message} (${d.error.code})`),
      h('td', {}, h('code', {}, d.value.length > VALUE_CHARS ? `${d.value.slice(0, VALUE_CHARS)}…` : d.value)))))));
}
