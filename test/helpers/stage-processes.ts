import { readdirSync, readFileSync } from 'node:fs';

/** A stage's OS process, as an operator finds it: a child of this process with the stage's assignment in its environment. */
export interface StageProcess {
  readonly pid: number;
  readonly queueId: string;
  readonly role: string;
}

/** A file of /proc, or undefined when the process is gone (or its files are not ours to read). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw err;
  }
}

/** State letter and parent pid from `/proc/<pid>/stat` (the command name may hold spaces and parentheses: fields follow the last `)`). */
function statOf(pid: number): { readonly state: string; readonly ppid: number } | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

/** True while `pid` runs (or is stopped): neither gone nor a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * The stage processes this process launched and that are still alive (Linux: read from /proc), found
 * by the `QUEUE_ID` and `ROLE` a launcher puts in a stage's environment, not through the launcher.
 */
export function stageProcesses(): StageProcess[] {
  const found: StageProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (statOf(pid)?.ppid !== process.pid || !isAlive(pid)) continue;
    const env = new Map(
      (readProc(`/proc/${pid}/environ`) ?? '')
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    const queueId = env.get('QUEUE_ID');
    const role = env.get('ROLE');
    if (queueId && role) found.push({ pid, queueId, role });
  }
  return found;
}

/** The live process of one stage of a workflow, if any. */
export function stageProcess(queueId: string, role: string): StageProcess | undefined {
  return stageProcesses().find((p) => p.queueId === queueId && p.role === role);
}
