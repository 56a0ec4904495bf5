// Stopping what an experiment started, every step even when one fails.
import { stageProcesses } from '../helpers/stage-processes.ts';
import type { ChaosContext } from './chaos-experiment.ts';

/** SIGKILLs stage processes this process launched that outlived their manager (should be none). */
export function killLeftoverStages(): void {
  for (const p of stageProcesses()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** Runs every step even when one fails; logs the failures. */
export async function teardown(log: ChaosContext['log'], steps: ReadonlyArray<readonly [string, () => unknown]>): Promise<void> {
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.warn({ err }, `teardown of ${what} failed`);
    }
  }
}
