/**
 * Nothing -> COLO for the lab pair: `colo apply --auto-approve` against the hand-written baseline
 * (bench/hand-apply.ts: same argv, same QMP sequences, same waits, issued locally with no SSH and
 * none of colo's machinery). Runs alternate which goes first. Reported: both wall times, the
 * overhead ratio of each run, where colo's time goes (its step timings and progress timestamps
 * from --json), the switchover pause and mirror time from colo's output, and the round-trip costs
 * that explain the difference (an SSH command, QMP through SSH, QMP on a local socket), measured on
 * the running pair. A few extra diagnostic baseline runs take the switchover pause apart with
 * QEMU's own MIGRATION events (not part of the comparison), and a few what-if runs with the lab's
 * sshds restarted with WHAT_IF_SSHD (bench/lib/lab.ts) are reported separately.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { colo, expectCode, sleep } from './lib/cli.ts';
import { diffCounts, sshCounts, type SshCounts } from './lib/sshd-log.ts';
import { WHAT_IF_SSHD, withLab, type BenchLab } from './lib/lab.ts';
import { median } from './lib/stats.ts';
import { emptyResult, type Benchmark, type BenchResult } from './lib/types.ts';
import { handApply, handCleanup, renderForHand, type HandTimings, type PauseAnatomy } from './hand-apply.ts';
import { loadSpecFile } from '../src/cli/spec-file.ts';
import type { Spec } from '../src/spec/types.ts';
import { openSession } from '../src/cli/run-context.ts';
import { QmpClient } from '../src/qmp/client.ts';
import os from 'node:os';
import type { HandRendering } from './hand-apply.ts';

interface JsonLine {
  type?: string;
  '@message'?: string;
  '@timestamp'?: string;
  hook?: { address?: string; kind?: string; elapsed_ms?: number; detail?: string | null };
}

export interface ColoApplyRun {
  wallMs: number;
  /** Spawn until the first step starts: Node start-up, spec, SSH connect, observation, plan, lock, state. */
  beforeStepsMs: number;
  /** Last step done until the process exited (state written, connections closed). */
  afterStepsMs: number;
  steps: Record<string, number>;
  /** Inside colo-start, from its progress timestamps. */
  coloStart: { mirrorMs?: number; driversWaitMs?: number; switchoverMs?: number; checkpointWaitMs?: number };
  pauseMs?: number;
  mirrorMs?: number;
}

/** Runs `colo apply --auto-approve --json` and takes its timings apart. */
export async function coloApply(spec: string): Promise<ColoApplyRun> {
  const spawnedAt = Date.now();
  const r = expectCode(
    await colo(['apply', '-f', spec, '--auto-approve', '--json'], { timeoutMs: 600_000 }),
    'colo apply',
  );
  const exitedAt = spawnedAt + r.ms;
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonLine);
  const ts = (l: JsonLine | undefined) => (l?.['@timestamp'] ? Date.parse(l['@timestamp']) : NaN);
  const starts = lines.filter((l) => l.type === 'apply_start');
  const dones = lines.filter((l) => l.type === 'apply_complete');
  if (dones.length === 0) throw new Error(`colo apply --json printed no completed step:\n${r.stdout.slice(-2000)}`);
  const steps: Record<string, number> = {};
  for (const d of dones) steps[d.hook?.kind ?? '?'] = d.hook?.elapsed_ms ?? NaN;
  const coloDone = dones.find((d) => d.hook?.kind === 'colo-start');
  const detail = coloDone?.hook?.detail ?? '';
  const prog = lines.filter((l) => l.type === 'apply_progress' && l.hook?.kind === 'colo-start');
  const at = (re: RegExp) => ts(prog.find((l) => re.test(l['@message'] ?? '')));
  const tMirror = at(/: mirror-start$/);
  const tWaitGuest = at(/waiting for the guest/);
  const tSwitch = at(/: switchover-/);
  const tCkpt = at(/waiting for a checkpoint after the first/);
  const num = (x: number) => (Number.isFinite(x) ? x : undefined);
  const coloStart = {
    ...(num(tWaitGuest - tMirror) !== undefined ? { mirrorMs: tWaitGuest - tMirror } : {}),
    ...(num(tSwitch - tWaitGuest) !== undefined ? { driversWaitMs: tSwitch - tWaitGuest } : {}),
    ...(num(tCkpt - tSwitch) !== undefined ? { switchoverMs: tCkpt - tSwitch } : {}),
    ...(num(ts(coloDone) - tCkpt) !== undefined ? { checkpointWaitMs: ts(coloDone) - tCkpt } : {}),
  };
  const pause = /switchover pause (\d+) ms/.exec(detail)?.[1];
  const mirror = /mirror (\d+) ms/.exec(detail)?.[1];
  return {
    wallMs: r.ms,
    beforeStepsMs: ts(starts[0]) - spawnedAt,
    afterStepsMs: exitedAt - ts(dones[dones.length - 1]),
    steps,
    coloStart,
    ...(pause ? { pauseMs: Number(pause) } : {}),
    ...(mirror ? { mirrorMs: Number(mirror) } : {}),
  };
}

interface RoundTrips {
  sshExecMs: number;
  qmpViaSshMs: number;
  qmpLocalMs: number;
  sshConnectMs: number;
  /** `bash -c true` started the way sshd starts a command (fresh env, stdin a socket): it sources the rc files. */
  shellAsSshdMs: number;
  /** The same with --norc. */
  shellNoRcMs: number;
}

/** Median time to spawn `bash [extra] -c true` with sshd's kind of environment and a socket for stdin. */
async function bashStart(extra: string[], n = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      // stdio 'pipe' is a socketpair under libuv: bash treats stdin as a network connection, as under sshd.
      const p = spawn('bash', [...extra, '-c', 'true'], {
        env: { HOME: os.homedir(), PATH: '/usr/local/bin:/usr/bin:/bin', USER: os.userInfo().username },
        stdio: 'pipe',
      });
      p.on('error', reject);
      p.on('close', () => resolve());
      p.stdin.end();
    });
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

/** Median round trips on the running pair: `true` over SSH, query-status via SSH and locally. */
async function roundTrips(spec: Spec, lab: BenchLab): Promise<RoundTrips> {
  const vm = spec.vms[0]!;
  const { session, close } = openSession(spec, {});
  const N = 10;
  const out: RoundTrips = {
    sshExecMs: NaN,
    qmpViaSshMs: NaN,
    qmpLocalMs: NaN,
    sshConnectMs: NaN,
    shellAsSshdMs: await bashStart([]),
    shellNoRcMs: await bashStart(['--norc']),
  };
  try {
    const t = session.transport('alpha');
    const t0 = performance.now();
    await t.check(['true']);
    out.sshConnectMs = performance.now() - t0; // connect + first command
    const exec: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      await t.check(['true']);
      exec.push(performance.now() - s);
    }
    out.sshExecMs = median(exec);
    const q = await session.qmp('alpha', vm.name);
    const viaSsh: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      await q.execute('query-status');
      viaSsh.push(performance.now() - s);
    }
    out.qmpViaSshMs = median(viaSsh);
  } finally {
    await close(); // QEMU serves one QMP client at a time
  }
  await lab.withQmp('alpha', async (c: QmpClient) => {
    const local: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      await c.execute('query-status');
      local.push(performance.now() - s);
    }
    out.qmpLocalMs = median(local);
  });
  return out;
}

/** argv of a running QEMU from /proc. */
async function runningArgv(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((x, i, a) => i < a.length - 1 || x !== '');
}

interface ApplyRunRecord {
  run: number;
  first: 'colo' | 'hand';
  colo: ColoApplyRun;
  hand: HandTimings;
  ratio: number;
  destroyMs: number;
  roundTrips: RoundTrips;
  /** SSH traffic of colo apply, per host (sshd logs). */
  ssh: Record<string, SshCounts>;
}

export const applyBench: Benchmark = {
  name: 'apply',
  title: 'colo apply (nothing -> COLO) vs a hand-written QMP script',
  async run(ctx) {
    const res: BenchResult = emptyResult();
    const anatomies: { pauseMs: number; anatomy: PauseAnatomy }[] = [];
    const whatIf: ApplyRunRecord[] = [];
    let vm0DowntimeMs = 0;
    await withLab({ log: ctx.log }, async (lab) => {
      const loaded = await loadSpecFile(lab.specFile);
      if (!loaded.spec) throw new Error(`cannot load ${lab.specFile}`);
      const spec = loaded.spec;
      const vm = spec.vms[0]!;
      const rendering = renderForHand(spec, vm);
      vm0DowntimeMs = vm.checkpoint.switchoverDowntimeMs;
      let argvChecked = false;

      const runColo = async (): Promise<{
        run: ColoApplyRun;
        destroyMs: number;
        rt: RoundTrips;
        ssh: Record<string, SshCounts>;
      }> => {
        const before = Object.fromEntries(lab.hosts.map((h) => [h.name, sshCounts(h.logFile)]));
        const run = await coloApply(lab.specFile);
        const ssh = Object.fromEntries(
          lab.hosts.map((h) => [h.name, diffCounts(sshCounts(h.logFile), before[h.name]!)]),
        );
        if (!argvChecked) {
          // Fairness: the baseline starts exactly the argv colo started.
          const [pp, sp] = [await lab.pid('alpha'), await lab.pid('beta')];
          if (!pp || !sp) throw new Error('colo apply succeeded but a QEMU is not running');
          const same =
            JSON.stringify(await runningArgv(pp)) === JSON.stringify(rendering.primaryArgv) &&
            JSON.stringify(await runningArgv(sp)) === JSON.stringify(rendering.secondaryArgv);
          if (!same)
            throw new Error(
              'the baseline would not start the argv colo started (src/render differs from the running QEMU): ' +
                'not a fair comparison',
            );
          res.notes.push(
            'The QEMU argv of both sides started by colo and by the baseline are identical (checked against ' +
              '/proc/PID/cmdline).',
          );
          argvChecked = true;
        }
        const rt = await roundTrips(spec, lab);
        const d = expectCode(await colo(['destroy', '-f', lab.specFile, '--auto-approve']), 'colo destroy');
        return { run, destroyMs: d.ms, rt, ssh };
      };
      const runHand = async (diagnose = false, r: HandRendering = rendering) => {
        try {
          return await handApply(r, vm.checkpoint.intervalMs, { diagnose });
        } finally {
          await handCleanup(r);
        }
      };

      for (let run = 0; run < ctx.runs; run++) {
        const first = run % 2 === 0 ? 'colo' : 'hand';
        let c: Awaited<ReturnType<typeof runColo>> | undefined;
        let h: Awaited<ReturnType<typeof runHand>> | undefined;
        for (const who of first === 'colo' ? ['colo', 'hand'] : ['hand', 'colo']) {
          if (who === 'colo') c = await runColo();
          else h = await runHand();
          await sleep(500); // let the killed QEMUs' CPU time settle
        }
        const rec: ApplyRunRecord = {
          run: run + 1,
          first,
          colo: c!.run,
          hand: h!.timings,
          ratio: c!.run.wallMs / h!.timings.totalMs,
          destroyMs: Math.round(c!.destroyMs),
          roundTrips: c!.rt,
          ssh: c!.ssh,
        };
        ctx.log(
          `apply run ${run + 1} (${first} first): colo ${Math.round(rec.colo.wallMs)} ms, hand ` +
            `${rec.hand.totalMs} ms, ratio ${rec.ratio.toFixed(2)}, pause colo ${rec.colo.pauseMs} / hand ` +
            `${rec.hand.pauseMs} ms`,
        );
        res.runs.push(rec);
      }
      const diagRuns = Math.min(3, ctx.runs);
      for (let i = 0; i < diagRuns; i++) {
        const h = await runHand(true);
        if (h.timings.anatomy) anatomies.push({ pauseMs: h.timings.pauseMs, anatomy: h.timings.anatomy });
        ctx.log(`apply: diagnostic baseline run ${i + 1}: pause ${h.timings.pauseMs} ms`);
      }
      // What-if: the lab's sshds set SHLVL=1, so the bash sshd starts per command skips ~/.bashrc.
      await lab.restartSshdWith(WHAT_IF_SSHD);
      for (let run = 0; run < Math.min(3, ctx.runs); run++) {
        const first = run % 2 === 0 ? 'colo' : 'hand';
        let c: Awaited<ReturnType<typeof runColo>> | undefined;
        let h: Awaited<ReturnType<typeof runHand>> | undefined;
        for (const who of first === 'colo' ? ['colo', 'hand'] : ['hand', 'colo']) {
          if (who === 'colo') c = await runColo();
          else h = await runHand();
          await sleep(500);
        }
        const rec: ApplyRunRecord = {
          run: run + 1,
          first,
          colo: c!.run,
          hand: h!.timings,
          ratio: c!.run.wallMs / h!.timings.totalMs,
          destroyMs: Math.round(c!.destroyMs),
          roundTrips: c!.rt,
          ssh: c!.ssh,
        };
        ctx.log(
          `apply what-if run ${run + 1}: colo ${Math.round(rec.colo.wallMs)} ms, hand ${rec.hand.totalMs} ms, ` +
            `ratio ${rec.ratio.toFixed(2)}, SSH command ${Math.round(rec.roundTrips.sshExecMs)} ms`,
        );
        whatIf.push(rec);
      }
      // Nothing may be left for the next benchmark's lab (the lab dir is removed anyway).
      if ((await lab.pid('alpha')) || (await lab.pid('beta')))
        throw new Error('a QEMU of the apply benchmark is still running');
    });

    const runs = res.runs as ApplyRunRecord[];
    const m = (f: (r: ApplyRunRecord) => number | undefined) =>
      runs.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    res.metrics.push(
      { name: 'colo apply, nothing -> COLO (wall)', unit: 'ms', samples: m((r) => r.colo.wallMs) },
      { name: 'hand-written script, same steps (wall, in-process)', unit: 'ms', samples: m((r) => r.hand.totalMs) },
      { name: 'overhead ratio colo / script, same run', unit: 'x', samples: m((r) => r.ratio) },
      { name: 'switchover pause, colo (QEMU STOP -> RESUME)', unit: 'ms', samples: m((r) => r.colo.pauseMs) },
      { name: 'switchover pause, script', unit: 'ms', samples: m((r) => r.hand.pauseMs) },
      { name: 'mirror (disk resync over NBD), colo', unit: 'ms', samples: m((r) => r.colo.mirrorMs) },
      { name: 'mirror, script', unit: 'ms', samples: m((r) => r.hand.mirrorMs) },
      {
        name: 'colo: spawn -> first step (start-up, SSH, observe, plan, lock)',
        unit: 'ms',
        samples: m((r) => r.colo.beforeStepsMs),
      },
      { name: 'colo: step primary-start', unit: 'ms', samples: m((r) => r.colo.steps['primary-start']) },
      { name: 'script: primary start', unit: 'ms', samples: m((r) => r.hand.primaryStartMs) },
      { name: 'colo: step secondary-images', unit: 'ms', samples: m((r) => r.colo.steps['secondary-images']) },
      { name: 'script: secondary images', unit: 'ms', samples: m((r) => r.hand.imagesMs) },
      { name: 'colo: step secondary-start', unit: 'ms', samples: m((r) => r.colo.steps['secondary-start']) },
      { name: 'script: secondary start + prepare', unit: 'ms', samples: m((r) => r.hand.secondaryStartMs) },
      { name: 'colo: step colo-start', unit: 'ms', samples: m((r) => r.colo.steps['colo-start']) },
      { name: 'colo: colo-start, guest drivers wait', unit: 'ms', samples: m((r) => r.colo.coloStart.driversWaitMs) },
      { name: 'script: guest drivers wait', unit: 'ms', samples: m((r) => r.hand.driversWaitMs) },
      {
        name: 'colo: colo-start, switchover until migration "colo"',
        unit: 'ms',
        samples: m((r) => r.colo.coloStart.switchoverMs),
      },
      { name: 'script: switchover until migration "colo"', unit: 'ms', samples: m((r) => r.hand.switchoverMs) },
      {
        name: 'colo: colo-start, wait for the checkpoint after the first',
        unit: 'ms',
        samples: m((r) => r.colo.coloStart.checkpointWaitMs),
      },
      {
        name: 'script: wait for the checkpoint after the first',
        unit: 'ms',
        samples: m((r) => r.hand.checkpointWaitMs),
      },
      { name: 'colo: last step -> exit', unit: 'ms', samples: m((r) => r.colo.afterStepsMs) },
      { name: 'colo destroy (wall)', unit: 'ms', samples: m((r) => r.destroyMs) },
      { name: 'round trip: SSH connect + first command', unit: 'ms', samples: m((r) => r.roundTrips.sshConnectMs) },
      { name: 'round trip: one SSH command (`true`)', unit: 'ms', samples: m((r) => r.roundTrips.sshExecMs) },
      { name: 'round trip: QMP query-status through SSH', unit: 'ms', samples: m((r) => r.roundTrips.qmpViaSshMs) },
      {
        name: 'round trip: QMP query-status on the local socket',
        unit: 'ms',
        samples: m((r) => r.roundTrips.qmpLocalMs),
      },
      {
        name: 'bash -c true started like sshd starts a command (sources ~/.bashrc)',
        unit: 'ms',
        samples: m((r) => r.roundTrips.shellAsSshdMs),
      },
      { name: 'bash --norc -c true, same start', unit: 'ms', samples: m((r) => r.roundTrips.shellNoRcMs) },
      {
        name: 'SSH commands run by colo apply on alpha (primary)',
        unit: 'count',
        samples: m((r) => r.ssh.alpha?.commands),
      },
      {
        name: 'SSH commands run by colo apply on beta (secondary)',
        unit: 'count',
        samples: m((r) => r.ssh.beta?.commands),
      },
      {
        name: 'SSH connections opened by colo apply per host',
        unit: 'count',
        samples: runs.flatMap((r) => Object.values(r.ssh).map((c) => c.connections)),
      },
      {
        name: `what-if, sshd "${WHAT_IF_SSHD.join('; ')}": colo apply (wall)`,
        unit: 'ms',
        samples: whatIf.map((r) => r.colo.wallMs),
      },
      { name: 'what-if: script (wall)', unit: 'ms', samples: whatIf.map((r) => r.hand.totalMs) },
      { name: 'what-if: overhead ratio colo / script, same run', unit: 'x', samples: whatIf.map((r) => r.ratio) },
      { name: 'what-if: one SSH command (`true`)', unit: 'ms', samples: whatIf.map((r) => r.roundTrips.sshExecMs) },
      { name: 'what-if: colo spawn -> first step', unit: 'ms', samples: whatIf.map((r) => r.colo.beforeStepsMs) },
    );
    const med = (f: (r: ApplyRunRecord) => number | undefined) => median(m(f));
    const ratio = med((r) => r.ratio);
    const before = med((r) => r.colo.beforeStepsMs);
    const stepsColo = (['primary-start', 'secondary-images', 'secondary-start'] as const).map((k) =>
      med((r) => r.colo.steps[k]),
    );
    const stepsHand = [
      med((r) => r.hand.primaryStartMs),
      med((r) => r.hand.imagesMs),
      med((r) => r.hand.secondaryStartMs),
    ];
    const preCOLO = stepsColo.reduce((a, b) => a + b, 0) - stepsHand.reduce((a, b) => a + b, 0);
    const bootHidden = med((r) => r.hand.driversWaitMs) - med((r) => r.colo.coloStart.driversWaitMs);
    const diff = med((r) => r.colo.wallMs) - med((r) => r.hand.totalMs);
    res.goals.push({
      goal: 'apply overhead within 10% of the hand-written script',
      target: '<= 1.10x',
      measured:
        `${ratio.toFixed(2)}x (median of per-run ratios; medians ` +
        `${Math.round(med((r) => r.colo.wallMs))} vs ${Math.round(med((r) => r.hand.totalMs))} ms)`,
      met: ratio <= 1.1,
      ...(ratio <= 1.1
        ? {}
        : {
            why:
              `${Math.round(diff)} ms more (medians). Before its first step colo spends ${Math.round(before)} ` +
              `ms (Node start-up and module loading, spec, SSH connections, observation, plan, lock, state). ` +
              `Its three steps before colo-start take ${Math.round(preCOLO)} ms longer than the script's ` +
              `(primary ${Math.round(stepsColo[0]!)} vs ${Math.round(stepsHand[0]!)}, images ` +
              `${Math.round(stepsColo[1]!)} vs ${Math.round(stepsHand[1]!)}, secondary ` +
              `${Math.round(stepsColo[2]!)} vs ${Math.round(stepsHand[2]!)} ms), ` +
              `of which ${Math.round(bootHidden)} ms is hidden because the guest boots meanwhile (colo's ` +
              `drivers wait is that much shorter than the script's). ` +
              `The cost is SSH commands: colo apply runs ${med((r) => r.ssh.alpha?.commands)} on alpha and ` +
              `${med((r) => r.ssh.beta?.commands)} on beta (sshd logs; ` +
              `${med((r) => Math.max(...Object.values(r.ssh).map((c) => c.connections)))} connection per host), ` +
              `and one SSH command costs ${Math.round(med((r) => r.roundTrips.sshExecMs))} ms here, ` +
              `mostly because sshd runs every command through the user's shell, and bash started by sshd ` +
              `sources ~/.bashrc: bash -c true started that way takes ` +
              `${Math.round(med((r) => r.roundTrips.shellAsSshdMs))} ms against ` +
              `${Math.round(med((r) => r.roundTrips.shellNoRcMs))} ms with --norc. ` +
              `QMP through SSH is cheap (${med((r) => r.roundTrips.qmpViaSshMs).toFixed(1)} ms per command ` +
              `against ${med((r) => r.roundTrips.qmpLocalMs).toFixed(2)} ms locally). The switchover and the ` +
              `checkpoint wait are the same work on both sides ` +
              `(${Math.round(med((r) => r.colo.coloStart.switchoverMs))} vs ` +
              `${Math.round(med((r) => r.hand.switchoverMs))} ms, ` +
              `${Math.round(med((r) => r.colo.coloStart.checkpointWaitMs))} vs ` +
              `${Math.round(med((r) => r.hand.checkpointWaitMs))} ms). ` +
              (whatIf.length > 0
                ? `With the lab's sshds setting SHLVL=1 (bash skips ~/.bashrc) one SSH command costs ` +
                  `${Math.round(median(whatIf.map((r) => r.roundTrips.sshExecMs)))} ms and the ratio is ` +
                  `${median(whatIf.map((r) => r.ratio)).toFixed(2)}x (median of ${whatIf.length} runs, ` +
                  `${Math.round(median(whatIf.map((r) => r.colo.wallMs)))} vs ` +
                  `${Math.round(median(whatIf.map((r) => r.hand.totalMs)))} ms).`
                : ''),
          }),
    });
    const pause = med((r) => r.colo.pauseMs);
    // Milestones are ms after the primary's STOP: the live copy runs before it (negative times).
    const dissect = ({ pauseMs, anatomy }: { pauseMs: number; anatomy: PauseAnatomy }) => {
      const at = (w: string) => anatomy.milestones.find((x) => x.what === w)?.at ?? NaN;
      const la = anatomy.lastActive as { ram?: { transferred?: number; mbps?: number } } | undefined;
      return {
        pauseMs,
        liveCopy: -at('primary MIGRATION active'),
        stopToColo: at('primary MIGRATION colo'),
        mb: (la?.ram?.transferred ?? NaN) / 1e6,
        mbps: la?.ram?.mbps ?? NaN,
      };
    };
    const anat = anatomies.map(dissect);
    if (anat.length > 0) {
      res.metrics.push(
        { name: 'diagnostic script runs: pause', unit: 'ms', samples: anat.map((a) => a.pauseMs) },
        {
          name: 'diagnostic: live RAM copy, guest running (migration active -> STOP)',
          unit: 'ms',
          samples: anat.map((a) => a.liveCopy).filter(Number.isFinite),
        },
        {
          name: 'diagnostic: STOP -> migration colo (last dirty pages, device state)',
          unit: 'ms',
          samples: anat.map((a) => a.stopToColo).filter(Number.isFinite),
        },
        {
          name: 'diagnostic: live copy throughput (QEMU mbps, Mbit/s)',
          unit: 'count',
          samples: anat.map((a) => a.mbps).filter(Number.isFinite),
        },
        {
          name: 'diagnostic: RAM sent by the last active sample (MB)',
          unit: 'count',
          samples: anat.map((a) => a.mb).filter(Number.isFinite),
        },
      );
    }
    res.goals.push({
      goal: 'switchover pause under 150 ms (lab pair, 128 MiB guest)',
      target: '< 150 ms',
      measured:
        `${Math.round(pause)} ms (median of colo's reported pauses, QEMU STOP -> RESUME; script ` +
        `${Math.round(med((r) => r.hand.pauseMs))} ms)`,
      met: pause < 150,
      ...(pause < 150
        ? {}
        : {
            why:
              `the RAM is copied while the guest runs and QEMU pauses it once the rest fits in downtime-limit ` +
              `(${vm0DowntimeMs} ms); ` +
              (anat.length > 0
                ? `in ${anat.length} diagnostic runs the live copy took ` +
                  `${Math.round(median(anat.map((a) => a.liveCopy)))} ms and STOP -> colo ` +
                  `${Math.round(median(anat.map((a) => a.stopToColo)))} ms.`
                : 'no diagnostic runs.'),
          }),
    });
    res.notes.push(
      'colo apply runs with --json (the same apply; its step timings and progress timestamps give the ' +
        'breakdown). The script runs in the benchmark process: it pays no Node start-up (see cli-startup) and no SSH.',
      "Runs alternate which of the two goes first. Between them colo destroy, or a kill -9 of the script's " +
        'QEMUs and removal of their files.',
    );
    if (anatomies[0])
      res.notes.push(
        `One diagnostic run's switchover, ms relative to the primary's STOP (QEMU clocks): ` +
          `${anatomies[0].anatomy.milestones
            .filter((x) => !/JOB_STATUS_CHANGE|NIC_RX|QUORUM/.test(x.what) && x.at <= anatomies[0]!.pauseMs + 1)
            .map((x) => `${x.at} ${x.what}`)
            .join('; ')}.`,
      );
    return res;
  },
};
