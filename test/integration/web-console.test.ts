// The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
// runtime and HTTP server, the exchange simulator behind them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { AdminServer } from '../../src/system/http/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { deadLetterTopicOf, ErrorCodes, ModelMetadata } from '../../src/protocol/index.ts';
import type { DeadLetter } from '../../src/protocol/index.ts';
import { DEMO_EXCHANGE, demoTrainingRequest } from '../../src/system/cli/demo-workflows.ts';
import { launchChromium, newContext, screenshot, watchProblems } from '../helpers/console-browser.ts';
import type { PageProblems } from '../helpers/console-browser.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';

const TOKEN = 'console-token';
const DAY_MS = 86_400_000;
const HOLE_FROM_MS = Date.UTC(2024, 7, 2, 10);
const HOLE_TO_MS = Date.UTC(2024, 7, 2, 13);
/** Candles of 2024-08-01 and 02 (1h) the exchange has: 48 less the hole's 3. */
const STORED = 45;

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Zero serious or critical accessibility violations on the page as it is now. */
async function assertAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility of ${what}`,
  );
}

describe('the web console in Chromium', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  let server: AdminServer;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let watch: PageProblems;
  let base: string;
  let completedId: string;

  before(async () => {
    // The exchange has no candle for three hours of 2024-08-02: a hole of its own the chart shades.
    // Its market is the demo's: the models page shows the demo's training run.
    sim = await startExchangeSimulator({ ...DEMO_EXCHANGE, latencyMs: 1, holes: [{ symbol: 'BTCUSDT', fromMs: HOLE_FROM_MS, toMs: HOLE_TO_MS }] });
    rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_API_TOKEN: TOKEN, BINANCE_WS_URL: sim.wsUrl } });
    server = new AdminServer(rt.runtime);
    const port = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    context = await newContext(browser);
    page = await context.newPage();
    watch = watchProblems(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rt?.close();
    await sim?.close();
  });

  it('asks for the token once, keeps it for the tab, and goes live', async () => {
    await page.goto(base);
    const dialog = page.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match((await page.locator('#token-message').textContent()) ?? '', /needs its API token/);
    await page.getByRole('textbox', { name: 'Token' }).fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('streamforge.token')"), TOKEN);
    assert.equal(await dialog.isVisible(), false);
    await screenshot(page, 'workflows-empty');
  });

  it('starts a workflow from the form and shows it go running → completed without a reload', async () => {
    // Marks this document: a reload would lose it. Records every status the row shows.
    // Browser code as text: this project's TypeScript has no DOM types.
    await page.evaluate(`
      window.__noReload = true;
      window.__statuses = [];
      new MutationObserver(() => {
        const status = document.querySelector('tr[data-queue-id] [data-field="status"]')?.textContent ?? '';
        if (status !== '' && window.__statuses.at(-1) !== status) window.__statuses.push(status);
      }).observe(document.getElementById('main'), { subtree: true, childList: true, characterData: true });
    `);
    await page.getByLabel('Symbol(s)').fill('BTCUSDT');
    await page.getByLabel('Type', { exact: true }).fill('api_candles_1h');
    await page.getByLabel('From (UTC)').fill('2024-08-01');
    await page.getByLabel('To (UTC, excluded)').fill('2024-08-03');
    await page.getByRole('button', { name: 'Start' }).click();
    const started = await page.locator('#start-outcome .ok').textContent({ timeout: 10_000 });
    completedId = /Started (\S+)/.exec(started ?? '')?.[1] ?? '';
    assert.match(completedId, /^wf-btcusdt-api_candles_1h-20240801-[0-9a-f]{6}$/);
    const row = page.locator(`tr[data-queue-id="${completedId}"]`);
    await row.locator('[data-field="status"]', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    assert.equal(await row.locator('[data-field="records"]').textContent(), String(STORED));
    assert.equal(await row.locator('[data-stage="loader-producer"] .badge').textContent(), 'finished');
    const seen = await page.evaluate<string[]>('window.__statuses');
    assert.ok(seen.includes('running') && seen.at(-1) === 'completed', `statuses shown: ${seen.join(' → ')}`);
    assert.equal(await page.evaluate('window.__noReload'), true, 'no reload');
    const stored = await rt.registry.get(completedId);
    assert.equal(stored?.status, 'completed');
  });

  it('shows the API\'s own validation message for a bad start', async () => {
    const body = { symbol: 'BTC.USDT', type: 'api_candles_1h', from: '2024-08-01', to: '2024-08-03' };
    const direct = await request(`${base}/queues`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    const expected = ((await direct.body.json()) as { message: string }).message;
    assert.equal(direct.statusCode, 400);
    await page.getByLabel('Symbol(s)').fill('BTC.USDT');
    await page.getByRole('button', { name: 'Start' }).click();
    const shown = await page.locator('#start-outcome [role="alert"]').textContent({ timeout: 10_000 });
    assert.equal(shown, `BTC.USDT: ${expected}`);
    // The page's 400 was expected (the response, and the line the browser logs for it): exactly one of each.
    const expectedProblems = [/^HTTP 400: POST .*\/queues$/, /^console error: .*status of 400/];
    for (const pattern of expectedProblems) {
      const i = watch.problems.findIndex((p) => pattern.test(p));
      assert.ok(i >= 0, `${pattern} among ${watch.problems.join('; ')}`);
      watch.problems.splice(i, 1);
    }
  });

  it('stops a live workflow after confirmation', async () => {
    const now = Date.now();
    await page.getByLabel('Symbol(s)').fill('ETHUSDT');
    await page.getByLabel('Type', { exact: true }).fill('ws_candles_1m');
    await page.getByLabel('From (UTC)').fill(utcDate(now));
    await page.getByLabel('To (UTC, excluded)').fill(utcDate(now + 2 * DAY_MS));
    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#start-outcome .ok').waitFor({ timeout: 10_000 });
    const liveId = /Started (\S+)/.exec((await page.locator('#start-outcome .ok').textContent()) ?? '')?.[1] ?? '';
    const row = page.locator(`tr[data-queue-id="${liveId}"]`);
    await row.locator('[data-field="status"]', { hasText: 'running' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'workflows');
    await row.getByRole('button', { name: `Stop ${liveId}` }).click();
    const confirm = page.locator('#confirm-dialog');
    await confirm.waitFor({ state: 'visible' });
    assert.match((await page.locator('#confirm-message').textContent()) ?? '', new RegExp(`Stop ${liveId}\\?`));
    await confirm.getByRole('button', { name: 'Stop workflow' }).click();
    await row.locator('[data-field="status"]', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    assert.equal(await row.getByRole('button', { name: `Stop ${liveId}` }).isVisible(), false);
    assert.equal((await rt.registry.get(liveId))?.status, 'stopped');
    await assertAccessible(page, 'the workflows page');
  });

  it('filters the list by status', async () => {
    await page.getByLabel('Filter by status').selectOption('stopped');
    const rows = page.locator('tr[data-queue-id]');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().locator('[data-field="status"]').textContent(), 'stopped');
    await page.getByLabel('Filter by status').selectOption('');
    assert.equal(await rows.count(), 2);
  });

  it('opens a workflow\'s detail: stages, timeline, telemetry, dead letters and a gap audit', async () => {
    // A record the connector refused, on the workflow's dead-letter topic as the connector writes it.
    const wf = await rt.registry.get(completedId);
    assert.ok(wf);
    const refused: DeadLetter = {
      queue_id: completedId,
      source_topic: wf.kafka_topic,
      partition: 0,
      offset: '7',
      key: 'BTCUSDT',
      value: '{"open_time":"yesterday"}',
      error: { code: ErrorCodes.PROTOCOL, message: 'record failed its schema: open_time: expected number, received string', retriable: false },
      timestamp: Math.floor(Date.UTC(2024, 7, 2, 12) / 1000),
    };
    await rt.runtime.bus.produce(deadLetterTopicOf(wf.kafka_topic), [{ key: completedId, value: JSON.stringify(refused) }]);
    await page.getByRole('link', { name: completedId }).click();
    await page.getByRole('heading', { level: 2, name: completedId }).waitFor();
    await page.locator('.timeline li[data-kind="completed"]').waitFor({ timeout: 10_000 });
    const timeline = await page.locator('.timeline li').allTextContents();
    assert.ok(timeline.some((t) => t.includes('workflow created')), timeline.join('\n'));
    assert.ok(timeline.some((t) => t.includes('workflow running')), timeline.join('\n'));
    assert.ok(timeline.some((t) => t.includes('loader-producer finished')), timeline.join('\n'));
    assert.ok((await page.locator('section[aria-labelledby="telemetry-title"] tbody tr').count()) > 0, 'telemetry rows');
    assert.equal(await page.locator('tr[data-stage="loader-producer"] .badge').textContent(), 'finished');
    assert.equal(await page.locator('[data-field="dead-letters-summary"]').textContent({ timeout: 10_000 }), '1 dead letter.');
    const letter = page.locator('table.dead-letters tbody tr');
    assert.equal(await letter.count(), 1);
    assert.deepEqual(await letter.locator('td').allTextContents(), [
      '2024-08-02 12:00',
      '0 / 7',
      'record failed its schema: open_time: expected number, received string (SF_ERR_PROTOCOL)',
      '{"open_time":"yesterday"}',
    ]);
    await page.getByRole('button', { name: 'Run gap audit' }).click();
    const summary = await page.locator('[data-field="audit-summary"]').textContent({ timeout: 30_000 });
    assert.equal(summary, `${STORED} stored; 0 holes of ours, 1 of the exchange`);
    await screenshot(page, 'workflow-detail');
    await assertAccessible(page, 'the workflow detail page');
  });

  it('charts the stored candles with their volume, indicators and the exchange\'s hole shaded', async () => {
    await page.getByRole('link', { name: 'Chart its candles' }).click();
    await page.getByRole('heading', { level: 2, name: 'Candles' }).waitFor();
    await page.locator('.status[data-candles]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('svg.chart rect.candle').count(), STORED);
    assert.equal(await page.locator('svg.chart rect.volume').count(), STORED);
    const hole = page.locator('svg.chart rect.hole');
    assert.equal(await hole.count(), 1);
    assert.equal(await hole.getAttribute('data-owner'), 'exchange');
    assert.equal(await page.locator('svg.chart .hole-label').textContent(), 'exchange');
    // The hole's shading spans its three missing hours: as wide as three candle steps.
    const candleX = (i: number) => page.locator('svg.chart rect.candle').nth(i).getAttribute('x').then(Number);
    const stepWidth = (await candleX(1)) - (await candleX(0));
    const holeWidth = Number(await hole.getAttribute('width'));
    assert.ok(Math.abs(holeWidth - 3 * stepWidth) < 0.5, `hole ${holeWidth} wide, a candle step ${stepWidth}`);
    assert.equal(await page.locator('svg.chart polyline.ema').count(), 1);
    assert.equal(await page.locator('svg.chart polyline.rsi').count(), 1);
    await page.locator('svg.chart').focus();
    await page.keyboard.press('ArrowLeft');
    assert.match((await page.locator('.readout').textContent()) ?? '', /^2024-08-02 22:00 {2}O /);
    await screenshot(page, 'candles');
    await assertAccessible(page, 'the candles page');
  });

  it('draws the correlation graph of a universe and moves through its snapshots', async () => {
    const eth = await rt.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1h', range: { fromMs: Date.UTC(2024, 7, 1), toMs: Date.UTC(2024, 7, 3) } });
    assert.equal((await rt.settle(eth.queue_id)).status, 'completed');
    const q = 'symbols=BTCUSDT,ETHUSDT&interval=1h&from=2024-08-01&to=2024-08-03&window=24';
    await page.goto(`${base}/#/graph?${q}`);
    await page.locator('.status[data-edges]').waitFor({ timeout: 30_000 });
    const api = await request(`${base}/graph?${q}&threshold=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(api.statusCode, 200);
    const answer = (await api.body.json()) as { at: string; edges: { weight: number }[] };
    const edgesShown = page.locator('svg.graph .edge line');
    assert.equal(await page.locator('svg.graph .node').count(), 2);
    assert.equal(await edgesShown.count(), Number(await page.locator('.status').getAttribute('data-edges')));
    if ((await edgesShown.count()) === 1) assert.equal(Number(await edgesShown.getAttribute('data-weight')), answer.edges[0]?.weight);
    const before = await page.locator('output').textContent();
    await page.getByLabel('Snapshot time').focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(`document.querySelector('output')?.textContent !== ${JSON.stringify(before)}`);
    assert.equal(await page.locator('output').textContent(), '2024-08-02 01:00');
    await assertAccessible(page, 'the graph page');
  });

  it('shows the model registry (empty before any training run)', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByText('No model yet').waitFor({ timeout: 10_000 });
    await assertAccessible(page, 'the models page');
  });

  it('shows a trained model\'s test scores beside its baselines, and its training curves', { timeout: 600_000 }, async (t) => {
    const started = Date.now();
    const wf = await rt.manager.create(demoTrainingRequest(Date.now()));
    const done = await rt.settle(wf.queue_id, 540_000);
    t.diagnostic(`gnn_train (${done.gnn?.symbols.length} symbols, ${(done.to_ms - done.from_ms) / 3_600_000} hours) took ${Date.now() - started} ms`);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const [id] = done.models ?? [];
    assert.ok(id, 'a model stored');
    const res = await request(`${base}/models/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 200);
    const model = ModelMetadata.parse(await res.body.json());
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const scores = ['gnn', 'mlp', 'logistic', 'majority'] as const;

    // The registry is read when the page is opened: open it again.
    await page.goto(`${base}/#/`);
    await page.getByRole('link', { name: 'Models' }).click();
    const row = page.locator(`tr[data-model="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.deepEqual(await row.locator('td.num').allTextContents(), scores.map((k) => pct(model.metrics[k].accuracy)));
    assert.equal(await row.locator('td').last().textContent(), model.promoted ? 'promoted' : '—');
    await screenshot(page, 'models');
    await assertAccessible(page, 'the models page with a model');

    await row.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { level: 2, name: id }).waitFor();
    const scoreRows = page.locator('table').first().locator('tbody tr');
    await scoreRows.first().waitFor({ timeout: 10_000 });
    assert.deepEqual(await scoreRows.locator('th').allTextContents(), [...scores]);
    for (const [i, k] of scores.entries()) {
      const cells = await scoreRows.nth(i).locator('td').allTextContents();
      assert.deepEqual(cells, [pct(model.metrics[k].accuracy), model.metrics[k].macro_f1.toFixed(3), model.metrics[k].log_loss.toFixed(3)], k);
    }
    // One point per epoch of the stored history, on each of the three curves.
    assert.ok(model.history.length > 1, `epochs recorded: ${model.history.length}`);
    for (const curve of ['loss', 'val-loss', 'val-accuracy']) {
      const points = (await page.locator(`svg.curves polyline.${curve}`).getAttribute('points')) ?? '';
      assert.equal(points.trim().split(/\s+/).length, model.history.length, curve);
    }
    assert.match((await page.locator('svg.curves').getAttribute('aria-label')) ?? '', new RegExp(`over ${model.history.length} epochs`));
    // The scores and the whole training figure in one 1280×800 view.
    await page.evaluate("document.querySelector('main h3')?.scrollIntoView()");
    await screenshot(page, 'model');
    await assertAccessible(page, 'a model\'s page');

    // The correlation graph of the universe it learnt from, at the end of its test period.
    const universe = model.symbols.join(',');
    await page.goto(`${base}/#/graph?symbols=${universe}&interval=1h&from=${model.data.from}&to=${model.data.to}&window=${model.window}`);
    await page.locator('.status[data-edges]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('svg.graph .node').count(), model.symbols.length);
    assert.ok(Number(await page.locator('.status').getAttribute('data-edges')) > 0, 'a planted-clusters market has edges');
    await screenshot(page, 'graph');
  });

  it('tells a wrong token apart from a missing one', async () => {
    assert.ok(browser);
    const other = await newContext(browser, true);
    try {
      const p = await other.newPage();
      await p.addInitScript("sessionStorage.setItem('streamforge.token', 'not-the-token')");
      await p.goto(base);
      await p.locator('#token-dialog').waitFor({ state: 'visible' });
      assert.match((await p.locator('#token-message').textContent()) ?? '', /refused that token/);
      await screenshot(p, 'wrong-token-phone');
    } finally {
      await other.close();
    }
  });

  it('had no console error, uncaught error, CSP violation or failed request', () => {
    assert.deepEqual(watch.problems, []);
  });
});
