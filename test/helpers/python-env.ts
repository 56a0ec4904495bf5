import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VENV = fileURLToPath(new URL('../../.cache/py-interop', import.meta.url));

/**
 * A Python with `requirement` installed, in a git-ignored virtualenv (PyPI on first use). Returns
 * the interpreter's path; throws saying what failed.
 */
export async function ensurePythonPackage(requirement: string): Promise<string> {
  const module = requirement.split(/[=<>]/)[0] ?? requirement;
  return ensurePythonPackages([requirement], [module]);
}

/**
 * The same for several requirements at once, checked by importing `imports` (a distribution's
 * import name may differ from its name: `ta-lib` is imported as `talib`).
 */
export async function ensurePythonPackages(requirements: readonly string[], imports: readonly string[]): Promise<string> {
  const python = `${VENV}/bin/python`;
  const check = imports.map((m) => `import ${m}`).join('; ');
  if (existsSync(python) && spawnSync(python, ['-c', check]).status === 0) return python;
  const steps: string[][] = [
    ['python3', '-m', 'venv', VENV],
    [python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements],
  ];
  for (const [cmd, ...args] of steps) {
    const r = spawnSync(cmd ?? 'python3', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot set up ${requirements.join(' ')}: ${[cmd, ...args].join(' ')} failed:\n${r.stderr}`);
  }
  return Promise.resolve(python);
}
