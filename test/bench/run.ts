import { printSection } from './bench-report.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';
import { benchCandlePipeline } from './candle-pipeline.bench.ts';
import { benchWeightBudget } from './weight-budget.bench.ts';
import { benchKafka } from './kafka-mailbox.bench.ts';
import { benchArchiveVsRest } from './archive-vs-rest.bench.ts';
import { benchLiveLatency } from './live-latency.bench.ts';
import { benchGraphBuilder } from './graph-builder.bench.ts';
import { benchGnnEpoch } from './gnn-epoch.bench.ts';
import { benchGnnTrain } from './gnn-train.bench.ts';
import { benchRecordsStreamRss } from './records-stream-rss.bench.ts';
import { benchReplay } from './replay.bench.ts';

/** `npm run bench`: every benchmark, each printing what it measured side by side and its ratio against the target. */
const only = process.argv.slice(2);
const benches: Array<[string, () => Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }>]> = [
  ['candle pipeline (embedded)', benchCandlePipeline],
  ['exchange weight budget', benchWeightBudget],
  ['kafka mailboxes', benchKafka],
  ['replay into Kafka at --speed max', benchReplay],
  ['archive against REST, one month of 1m candles', benchArchiveVsRest],
  ['live stream latency, WebSocket event to stored record', benchLiveLatency],
  ['graph snapshot builder', benchGraphBuilder],
  ['GNN epoch time, WASM against pure-JS cpu', benchGnnEpoch],
  ['gnn_train end to end on a planted-clusters market: times, test scores beside the baselines, peak RSS', () => benchGnnTrain()],
  ['GET /records?format=csv of 1,000,000 records: serving process RSS, this tree and main', () => benchRecordsStreamRss()],
];

console.log(`StreamForge benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
let failed = false;
for (const [name, run] of benches) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  try {
    const { lines, ratios } = await run();
    printSection(name, lines, ratios);
  } catch (err) {
    failed = true;
    console.log(`\n## ${name}\n  FAILED: ${(err as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
