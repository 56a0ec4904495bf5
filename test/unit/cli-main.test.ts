import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StageRoles } from '../../src/actors/index.ts';
import { COMMANDS, main, mainUsage } from '../../src/system/cli/main.ts';
import type { CliCommand } from '../../src/system/cli/command.ts';
import type { CliIo } from '../../src/system/cli/cli-io.ts';
import { backfillCommand } from '../../src/system/cli/backfill-command.ts';
import { serveCommand } from '../../src/system/cli/serve-command.ts';
import { Roles } from '../../src/system/config/index.ts';
import { TextSink } from '../helpers/text-sink.ts';

async function run(argv: readonly string[], commands?: Readonly<Record<string, CliCommand>>): Promise<{ code: number; out: string; err: string }> {
  const out = new TextSink();
  const err = new TextSink();
  const code = await main(argv, { out, err, env: {} }, commands);
  return { code, out: out.text, err: err.text };
}

describe('the CLI entry', () => {
  it('derives its help from the command table: every command, each by its own synopsis', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    for (const [name, command] of Object.entries(COMMANDS)) {
      const synopsis = command.usage.split('\n')[0]?.replace('Usage: streamforge ', '') ?? '';
      assert.ok(out.includes(`\n  ${synopsis}\n`), `${name} listed as "${synopsis}"`);
    }
    assert.match(out, /--log-format auto\|human\|json/);
  });

  it('runs a command of the plain { usage, run } shape, registered with one line, and lists it', async () => {
    const seen: Array<{ argv: readonly string[]; env: CliIo['env'] }> = [];
    const extra: CliCommand = {
      usage: 'Usage: streamforge indicators <SYMBOL> [--window N]\n  Prints indicators.',
      run: (argv, io) => {
        seen.push({ argv, env: io.env });
        return Promise.resolve(0);
      },
    };
    const commands = { ...COMMANDS, indicators: extra };
    assert.match(mainUsage(commands), /\n {2}indicators <SYMBOL> \[--window N\]\n/);
    const { code } = await run(['--log-format', 'json', 'indicators', 'BTCUSDT', '--window', '5', '--log-level=debug'], commands);
    assert.equal(code, 0);
    assert.deepEqual(seen[0]?.argv, ['BTCUSDT', '--window', '5'], 'global options taken out');
    assert.equal(seen[0]?.env['LOG_FORMAT'], 'json');
    assert.equal(seen[0]?.env['LOG_LEVEL'], 'debug');
    assert.equal((await run(['help', 'indicators'], commands)).out.trim(), extra.usage);
  });

  it('takes backfill symbols comma- or space-separated, once each, and names a bad one', () => {
    const args = backfillCommand.parse(['BTCUSDT,ethusdt', 'SOLUSDT,BTCUSDT', '--type', 'api_candles_1h', '--from', '2024-01-01', '--to', '2024-02-01']);
    assert.deepEqual(args.symbols, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    assert.throws(() => backfillCommand.parse([',', '--type', 'api_candles_1h', '--from', '2024-01-01', '--to', '2024-02-01']), /missing <SYMBOL>/);
    assert.throws(() => backfillCommand.parse(['BTCUSDT,BTC-USD', '--type', 'api_candles_1h', '--from', '2024-01-01', '--to', '2024-02-01']), /BTC-USD/);
  });

  it('refuses a bad global option before any command runs', async () => {
    const { code, err } = await run(['--log-format', 'yaml', 'backfill']);
    assert.equal(code, 2);
    assert.match(err, /invalid --log-format "yaml"; accepted: auto human json/);
  });

  it('lists in serve --help the roles that exist: the manager, each stage role of the launcher, the dummy', async () => {
    assert.deepEqual(Roles, ['all', 'manager', ...StageRoles, 'dummy']);
    const { out } = await run(['serve', '--help']);
    assert.equal(out.trim(), serveCommand.usage);
    assert.match(out, new RegExp(`--role ${Roles.join('\\|')}\\]`));
    const { code, err } = await run(['serve', '--role', 'nope']);
    assert.equal(code, 2);
    assert.match(err, new RegExp(`invalid --role "nope"; accepted: ${Roles.join(' ')}`));
  });

  it('says every problem of a command line at once, in the words of its flags, exit 2 with the usage', async () => {
    const { code, err } = await run(['records', 'BTC/USDT', '--from', 'yesterday', '--to', '2024-08-02', '--limit', '0']);
    assert.equal(code, 2);
    const first = err.split('\n')[0] ?? '';
    assert.match(first, /invalid symbol "BTC\/USDT"/);
    assert.match(first, /missing --type/);
    assert.match(first, /invalid --from "yesterday"; accepted: YYYY-MM-DD/);
    assert.match(first, /invalid --limit "0"; accepted: a whole number >= 1/);
    assert.match(err, /Usage: streamforge records/);
  });

  it('refuses a second <SYMBOL> where a command takes one, and extra arguments where it takes none', async () => {
    assert.match((await run(['candles', 'BTCUSDT', 'ETHUSDT', '--interval', '1m', '--from', '2024-08-01', '--to', '2024-08-02'])).err, /one <SYMBOL> only; got BTCUSDT ETHUSDT/);
    assert.match((await run(['stop', 'wf-x'])).err, /stop takes no positional arguments/);
    assert.match((await run(['stop'])).err, /missing --queue-id/);
  });
});
