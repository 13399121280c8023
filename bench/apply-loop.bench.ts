/**
 * Consecutive fresh applies of the lab pair (default 10, `--loop N`), `colo destroy` between them.
 * Each must end with the guest's service answering through the primary (HTTP GET on
 * 127.0.0.11:<servicePort> within 60 s) and no virtio device of the secondary disabled
 * (x-query-virtio-status on its NIC and disk, through a QMP client opened and closed around the
 * check). Reports every run's apply time and verdict: this is also issue 4's "10 consecutive fresh
 * applies" proof.
 */
import { applyFigures, colo, firstAnswer } from './lib/cli.ts';
import { LAB_ADDR, withLab, type BenchLab } from './lib/lab.ts';
import { emptyResult, type Benchmark } from './lib/types.ts';
import { diskIds, nicIds } from '../src/render/ids.ts';
import { loadSpecFile } from '../src/cli/spec-file.ts';

interface LoopRun {
  run: number;
  pass: boolean;
  applyMs: number;
  applyCode: number | null;
  pauseMs?: number;
  /** From apply's exit until the first HTTP answer through the primary. */
  serviceMs?: number;
  serviceBody?: string;
  /** Secondary virtio devices: path -> disabled flag. */
  virtio: Record<string, boolean | string>;
  destroyMs: number;
  failure?: string;
}

/** "#3 pass 41234 ms (+812 ms to the first answer)" */
function runNote(r: LoopRun): string {
  const service = r.serviceMs !== undefined ? ` (+${r.serviceMs} ms to the first answer)` : '';
  return `#${r.run} ${r.pass ? 'pass' : 'FAIL'} ${r.applyMs} ms${service}`;
}

/** The virtio device paths of the first run that reached them ('' when none did). */
function virtioChecked(runs: LoopRun[]): string {
  return Object.keys(runs.find((r) => Object.keys(r.virtio).length > 0)?.virtio ?? {}).join(', ');
}

async function secondaryVirtio(lab: BenchLab, paths: string[]): Promise<Record<string, boolean | string>> {
  return lab.withQmp('beta', async (q) => {
    const out: Record<string, boolean | string> = {};
    for (const path of paths) {
      try {
        out[path] = (await q.execute<{ disabled: boolean }>('x-query-virtio-status', { path })).disabled;
      } catch (e) {
        out[path] = `query failed: ${(e as Error).message}`;
      }
    }
    return out;
  });
}

export const applyLoop: Benchmark = {
  name: 'apply-loop',
  title: 'consecutive fresh applies of the lab pair (service + secondary virtio check)',
  async run(ctx) {
    const res = emptyResult();
    await withLab({ log: ctx.log }, async (lab) => {
      const spec = (await loadSpecFile(lab.specFile)).spec;
      const vm = spec?.vms[0];
      if (!vm) throw new Error(`cannot load ${lab.specFile}`);
      const paths = [
        ...vm.netdevs.map((n) => nicIds(n).virtioBackendPath),
        ...vm.disks.map((d) => `/machine/peripheral/${diskIds(d).device}/virtio-backend`),
      ];
      const port = lab.vms[0]!.servicePort;
      for (let run = 1; run <= ctx.loop; run++) {
        const rec: LoopRun = { run, pass: false, applyMs: NaN, applyCode: null, virtio: {}, destroyMs: NaN };
        try {
          const a = await colo(['apply', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 600_000 });
          rec.applyMs = Math.round(a.ms);
          rec.applyCode = a.code;
          const fig = applyFigures(a.stdout);
          if (fig.pauseMs !== undefined) rec.pauseMs = fig.pauseMs;
          if (a.code !== 0)
            throw new Error(
              `colo apply exited ${a.code}: ${(a.stderr || a.stdout).trim().split('\n').slice(-4).join(' | ')}`,
            );
          const ans = await firstAnswer(LAB_ADDR.alpha, port, 60_000, 5000, 200);
          rec.serviceMs = Math.round(ans.ms);
          rec.serviceBody = ans.body.trim().slice(0, 120);
          rec.virtio = await secondaryVirtio(lab, paths);
          const bad = Object.entries(rec.virtio).filter(([, v]) => v !== false);
          if (bad.length > 0)
            throw new Error(
              `secondary virtio device(s) not healthy: ` +
                `${bad.map(([p, v]) => `${p}: ${v === true ? 'disabled' : v}`).join(', ')}`,
            );
          rec.pass = true;
        } catch (e) {
          rec.failure = (e as Error).message;
        } finally {
          const d = await colo(['destroy', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 300_000 });
          rec.destroyMs = Math.round(d.ms);
          if (d.code !== 0) {
            rec.failure =
              `${rec.failure ? `${rec.failure}; ` : ''}colo destroy exited ${d.code}: ` +
              `${(d.stderr || d.stdout).trim().split('\n').slice(-3).join(' | ')}`;
            rec.pass = false;
            for (const h of ['alpha', 'beta'] as const) {
              const pid = await lab.pid(h);
              if (pid) process.kill(pid, 'SIGKILL');
            }
          }
        }
        ctx.log(
          `apply-loop ${run}/${ctx.loop}: ${rec.pass ? 'PASS' : 'FAIL'} apply ${rec.applyMs} ms, service after ` +
            `${rec.serviceMs ?? '-'} ms, pause ${rec.pauseMs ?? '-'} ms${rec.failure ? ` (${rec.failure})` : ''}`,
        );
        res.runs.push(rec);
      }
    });
    const runs = res.runs as LoopRun[];
    const passed = runs.filter((r) => r.pass).length;
    res.metrics.push(
      {
        name: 'colo apply, fresh (wall)',
        unit: 'ms',
        samples: runs.filter((r) => Number.isFinite(r.applyMs)).map((r) => r.applyMs),
      },
      {
        name: 'apply exit -> first HTTP answer through the primary',
        unit: 'ms',
        samples: runs.flatMap((r) => (r.serviceMs === undefined ? [] : [r.serviceMs])),
      },
      {
        name: 'switchover pause (colo output)',
        unit: 'ms',
        samples: runs.flatMap((r) => (r.pauseMs === undefined ? [] : [r.pauseMs])),
      },
      {
        name: 'colo destroy (wall)',
        unit: 'ms',
        samples: runs.filter((r) => Number.isFinite(r.destroyMs)).map((r) => r.destroyMs),
      },
      { name: 'runs passed', unit: 'count', samples: [passed] },
    );
    res.goals.push({
      goal: `${ctx.loop} consecutive fresh applies: service through the primary, no secondary virtio device disabled`,
      target: `${ctx.loop}/${ctx.loop} pass`,
      measured: `${passed}/${runs.length} pass`,
      met: passed === ctx.loop && runs.length === ctx.loop,
      ...(passed === runs.length
        ? {}
        : {
            why: runs
              .filter((r) => !r.pass)
              .map((r) => `run ${r.run}: ${r.failure}`)
              .join('; '),
          }),
    });
    res.notes.push(
      `Per run: ${runs.map(runNote).join(', ')}.`,
      `Virtio devices checked on the secondary: ${virtioChecked(runs) || '(none reached)'}.`,
    );
    return res;
  },
};
