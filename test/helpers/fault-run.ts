/**
 * One colo command run with a fault injected right after a given step, through colo's test hook
 * (src/cli/fault-injection.ts): colo SIGKILLed by itself, or paused while the test cuts its SSH
 * connections to the step's host (the real sshd's per-connection processes killed), kills the
 * QEMU on that host, fills the state directory (a small tmpfs) or remounts it read-only.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { colo, type CliResult, type TestLab } from './lab.ts';
import { cutSsh } from './ssh-cut.ts';
import type { LabHost } from './pair-truth.ts';

export const FAULTS = ['kill-self', 'cut-ssh', 'kill-qemu', 'state-full', 'state-ro'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultedRun {
  result: CliResult;
  /** Where the hook fired (null: the step never completed, so nothing was injected). */
  fired: { host: string | null; pid: number } | null;
  /** False when the fault had nothing to act on (no QEMU on that host, no SSH connection to cut). */
  applicable: boolean;
  detail: string;
  /** The state file as it was when the fault hit (state-full, state-ro: colo must keep it). */
  stateAtFault?: string | null;
}

const PAUSED = /colo test hook: paused after [a-z-]+:\d+ \(\S+(?: on (\S+))?\), pid (\d+)/;

/** The tmpfs of the lab's state directory (`<lab>/.colo`): mounted small so that it can be filled. */
export class StateMount {
  constructor(
    readonly dir: string,
    /** False when not root: a plain directory, and the state-full / state-ro faults cannot run. */
    readonly mounted: boolean,
  ) {}
  static mount(lab: TestLab): StateMount {
    const dir = path.join(lab.dir, '.colo');
    execFileSync('mkdir', ['-p', '-m', '0700', dir]);
    if (process.getuid?.() !== 0) return new StateMount(dir, false);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'colo-faults-state', dir]);
    return new StateMount(dir, true);
  }
  get statePath(): string {
    return path.join(this.dir, 'state.json');
  }
  readState(): string | null {
    try {
      return readFileSync(this.statePath, 'utf8');
    } catch {
      return null;
    }
  }
  /** Writes a filler file until the tmpfs is full. */
  fill(): void {
    const fd = openSync(path.join(this.dir, 'filler'), 'w');
    const chunk = Buffer.alloc(4096);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
  }
  readOnly(ro: boolean): void {
    execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, this.dir]);
  }
  /** Undoes fill() and readOnly(true). */
  restore(): void {
    if (!this.mounted) return;
    this.readOnly(false);
    rmSync(path.join(this.dir, 'filler'), { force: true });
  }
  unmount(): void {
    if (!this.mounted) return;
    try {
      execFileSync('umount', [this.dir]);
    } catch {
      execFileSync('umount', ['-l', this.dir]);
    }
  }
}

async function inject(lab: TestLab, mount: StateMount, fault: Fault, host: string | null): Promise<[boolean, string]> {
  switch (fault) {
    case 'cut-ssh': {
      if (!host) return [false, 'the step has no host'];
      const n = cutSsh(lab, host as LabHost);
      return [n > 0, `${n} SSH connection(s) to ${host} cut`];
    }
    case 'kill-qemu': {
      const pid = host ? await lab.pid(host as LabHost) : null;
      if (!pid) return [false, `no QEMU runs on ${host ?? '(no host)'}`];
      process.kill(pid, 'SIGKILL');
      return [true, `QEMU pid ${pid} on ${host} killed`];
    }
    case 'state-full':
      mount.fill();
      return [true, 'state directory filled'];
    case 'state-ro':
      mount.readOnly(true);
      return [true, 'state directory remounted read-only'];
    case 'kill-self':
      throw new Error('kill-self is done by colo itself');
  }
}

/** Runs `colo <args>` with `fault` injected after the n-th completion of `step`. */
export async function runWithFault(
  lab: TestLab,
  mount: StateMount,
  args: string[],
  at: { step: string; n: number },
  fault: Fault,
): Promise<FaultedRun> {
  const env = {
    COLO_TEST_HOOKS: '1',
    COLO_FAULT_AFTER_STEP: `${at.step}:${at.n}`,
    COLO_FAULT: fault === 'kill-self' ? 'kill-self' : 'pause',
  };
  let fired: FaultedRun['fired'] = null;
  let injected: Promise<[boolean, string]> | undefined;
  let stateAtFault: string | null | undefined;
  let buf = '';
  const result = await colo(args, {
    env,
    timeoutMs: 240_000,
    onStderr: (chunk) => {
      buf += chunk;
      const m = PAUSED.exec(buf);
      if (!m || injected) return;
      fired = { host: m[1] ?? null, pid: Number(m[2]) };
      const pid = fired.pid;
      stateAtFault = mount.readState();
      injected = inject(lab, mount, fault, fired.host).finally(() => process.kill(pid, 'SIGUSR2'));
    },
  });
  if (fault === 'kill-self') {
    const m = /killing myself \(SIGKILL\) after [a-z-]+:\d+ \(\S+(?: on (\S+))?\)/.exec(result.stderr);
    if (m) fired = { host: m[1] ?? null, pid: -1 };
    return { result, fired, applicable: !!m, detail: m ? 'colo SIGKILLed itself' : 'the hook never fired' };
  }
  const [applicable, detail] = injected ? await injected : [false, 'the hook never fired'];
  return { result, fired, applicable, detail, ...(stateAtFault !== undefined ? { stateAtFault } : {}) };
}
