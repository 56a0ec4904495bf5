// The chaos harness's Toxiproxy (scripts/toxiproxy, test/chaos/toxiproxy.ts) against a real server
// built from its Go module: a proxy forwards, a disabled proxy refuses, a reset_peer toxic resets.
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Toxiproxy } from '../chaos/toxiproxy.ts';

/** Sends `text` through `127.0.0.1:port`; resolves with what came back, or rejects with the socket error. */
function echoThrough(listen: string, text: string): Promise<string> {
  const [host = '127.0.0.1', port = '0'] = listen.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let got = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d: string) => {
      got += d;
      if (got.length >= text.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => (got === text ? resolve(got) : reject(new Error(`connection closed after ${JSON.stringify(got)}`))));
  });
}

describe('Toxiproxy for the chaos harness', { timeout: 600_000 }, () => {
  let toxi: Toxiproxy;
  let echo: Server;
  const sockets = new Set<Socket>();
  before(async () => {
    echo = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      // The proxy resets its upstream side too under reset_peer: the echo server sees ECONNRESET.
      s.on('error', () => s.destroy());
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    toxi = await Toxiproxy.start();
  });
  after(async () => {
    await toxi?.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('forwards, refuses while disabled, resets connections under reset_peer, and heals', async () => {
    const { port } = echo.address() as { port: number };
    const proxy = await toxi.createProxy('echo', `127.0.0.1:${port}`);
    assert.equal(await echoThrough(proxy.listen, 'hello'), 'hello');

    await toxi.setEnabled('echo', false);
    await assert.rejects(echoThrough(proxy.listen, 'cut'), /ECONNREFUSED/);
    await toxi.setEnabled('echo', true);
    assert.equal(await echoThrough(proxy.listen, 'back'), 'back');

    const toxic = await toxi.addToxic('echo', { type: 'reset_peer', attributes: { timeout: 0 } }, 'upstream');
    await assert.rejects(echoThrough(proxy.listen, 'reset'), /ECONNRESET|connection closed/);
    await toxi.removeToxic('echo', toxic);
    assert.equal(await echoThrough(proxy.listen, 'healed'), 'healed');

    await assert.rejects(toxi.removeToxic('echo', toxic), /answered 404/, 'an unknown toxic is an error naming the answer');
  });
});
