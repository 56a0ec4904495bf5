#!/usr/bin/env node
// The CLI is TypeScript run by Node 24's type stripping; this shim checks the runtime and loads it.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `streamforge needs Node.js 24 or newer (this is ${process.version}).\n` +
      'Run it through the project: `npm install` brings Node 24, then `npx streamforge …` uses it.\n',
  );
  process.exit(2);
}
// Compiled (and type-stripped) modules are cached on disk (NODE_COMPILE_CACHE, else the temp dir):
// a process started again on the same machine starts in about half the time (the process
// launcher's stage processes, CLI calls). Where the dir is not writable it is silently skipped.
const { enableCompileCache } = await import('node:module');
enableCompileCache();
// `streamforge candles … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
// kafkajs 2.2.4 arms a timer with a negative delay on Node 24; the warning is noise for users.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const name = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (name === 'TimeoutNegativeWarning' || (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')) return;
  emitWarning(warning, ...rest);
};
// `serve` runs as a container's PID 1, which ignores a signal it has no listener for: catch SIGTERM
// and SIGINT before the CLI loads (seconds on a busy node), so one sent while starting still ends it.
// `simulate` and `demo` are servers too: a Ctrl-C while they start still closes what they opened.
const hosting = ['serve', 'simulate', 'demo'].includes(process.argv[2] ?? '');
if (hosting) (await import('../src/system/cli/shutdown-signals.ts')).shutdownSignals();
const { main } = await import('../src/system/cli/main.ts');
const code = await main(process.argv.slice(2));
// `serve` returns once it has closed all it opened; a client library may still hold a socket (the
// Kubernetes client's aborted watches do), which would keep the process (a pod's PID 1) alive: end it.
if (hosting) process.exit(code);
process.exitCode = code;
