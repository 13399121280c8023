/**
 * `colo plan` wall time for 1, 10 and 100 VM pairs on the lab's two hosts with nothing deployed,
 * and the SSH traffic per host (connections accepted and remote commands, from the sshd logs):
 * observation must grow with hosts, not with VMs. Goal: plan(100) within 2x of plan(1), as the
 * median of the ratio measured in the same run. `colo validate` on the same specs is timed next to
 * it: it is start-up + spec loading, so plan minus validate is what the hosts and the planner cost.
 */
import path from 'node:path';
import { colo, expectCode } from './lib/cli.ts';
import { withLab } from './lib/lab.ts';
import { writeScaledSpec } from './lib/specgen.ts';
import { diffCounts, sshCounts } from './lib/sshd-log.ts';
import { median } from './lib/stats.ts';
import { emptyResult, type Benchmark } from './lib/types.ts';

const SIZES = [1, 10, 100] as const;

interface PlanRun {
  run: number;
  order: number[];
  planMs: Record<number, number>;
  validateMs: Record<number, number>;
  /** Per size: per host, connections and commands during that plan. */
  ssh: Record<number, Record<string, { connections: number; commands: number }>>;
  ratio100to1: number;
}

export const planScale: Benchmark = {
  name: 'plan-scale',
  title: 'colo plan for 1, 10, 100 VM pairs (nothing deployed)',
  async run(ctx) {
    const res = emptyResult();
    await withLab({ log: ctx.log }, async (lab) => {
      const specs: Record<number, string> = {};
      for (const n of SIZES) {
        specs[n] = await writeScaledSpec(lab.specFile, n, path.join(lab.dir, `bench-${n}-pairs.yaml`));
        const v = expectCode(await colo(['validate', '-f', specs[n]]), `colo validate (${n} pairs)`);
        if (!v.stdout.includes(`${n} VM pair`)) throw new Error(`colo validate did not count ${n} pairs: ${v.stdout}`);
      }
      const plan = async (n: number) => {
        const before = Object.fromEntries(lab.hosts.map((h) => [h.name, sshCounts(h.logFile)]));
        const r = expectCode(
          await colo(['plan', '-f', specs[n]!, '--detailed-exitcode']),
          `colo plan (${n} pairs)`,
          [2],
        );
        if (!new RegExp(`^Plan: ${4 * n} to add, 0 to change, 0 to destroy\\.$`, 'm').test(r.stdout))
          throw new Error(`colo plan (${n} pairs) did not plan ${4 * n} creates:\n${r.stdout.slice(-2000)}`);
        const ssh = Object.fromEntries(
          lab.hosts.map((h) => [h.name, diffCounts(sshCounts(h.logFile), before[h.name]!)]),
        );
        return { ms: r.ms, ssh };
      };
      ctx.log('plan-scale: warm-up (1 and 100 pairs, not recorded)');
      await plan(1);
      await plan(100);
      for (let run = 0; run < ctx.runs; run++) {
        // Rotate the order so no size always runs first (or right after a slow one).
        const order = SIZES.map((_, i) => SIZES[(i + run) % SIZES.length]!);
        const rec: PlanRun = { run: run + 1, order, planMs: {}, validateMs: {}, ssh: {}, ratio100to1: NaN };
        for (const n of order) {
          const p = await plan(n);
          rec.planMs[n] = Math.round(p.ms);
          rec.ssh[n] = p.ssh;
          rec.validateMs[n] = Math.round(expectCode(await colo(['validate', '-f', specs[n]!]), 'colo validate').ms);
        }
        rec.ratio100to1 = rec.planMs[100]! / rec.planMs[1]!;
        ctx.log(
          `plan-scale run ${run + 1}: plan ${SIZES.map((n) => `${n}=${rec.planMs[n]} ms`).join(', ')}; ratio ` +
            `${rec.ratio100to1.toFixed(2)}; ssh ${JSON.stringify(rec.ssh[100])}`,
        );
        res.runs.push(rec);
      }
    });
    const runs = res.runs as PlanRun[];
    for (const n of SIZES)
      res.metrics.push({
        name: `plan, ${n} pair${n === 1 ? '' : 's'} (wall)`,
        unit: 'ms',
        samples: runs.map((r) => r.planMs[n]!),
      });
    for (const n of SIZES)
      res.metrics.push({
        name: `validate, ${n} pair${n === 1 ? '' : 's'} (wall: start-up + spec load)`,
        unit: 'ms',
        samples: runs.map((r) => r.validateMs[n]!),
      });
    for (const n of SIZES)
      res.metrics.push({
        name: `plan minus validate, ${n} pair${n === 1 ? '' : 's'} (SSH, observation, planning, output)`,
        unit: 'ms',
        samples: runs.map((r) => r.planMs[n]! - r.validateMs[n]!),
      });
    res.metrics.push({
      name: 'ratio plan(100) / plan(1), same run',
      unit: 'x',
      samples: runs.map((r) => r.ratio100to1),
    });
    for (const n of SIZES) {
      const per = runs.flatMap((r) => Object.values(r.ssh[n]!));
      res.metrics.push({
        name: `SSH connections per host per plan, ${n} pair${n === 1 ? '' : 's'}`,
        unit: 'count',
        samples: per.map((c) => c.connections),
      });
      res.metrics.push({
        name: `SSH remote commands per host per plan, ${n} pair${n === 1 ? '' : 's'}`,
        unit: 'count',
        samples: per.map((c) => c.commands),
      });
    }
    const ratio = median(runs.map((r) => r.ratio100to1));
    const conns = SIZES.map((n) =>
      Math.max(...runs.flatMap((r) => Object.values(r.ssh[n]!).map((c) => c.connections))),
    );
    const cmds = SIZES.map((n) => Math.max(...runs.flatMap((r) => Object.values(r.ssh[n]!).map((c) => c.commands))));
    const med = (n: number, k: 'planMs' | 'validateMs') => median(runs.map((r) => r[k][n]!));
    res.goals.push({
      goal: 'plan for 100 pairs within 2x of 1 pair',
      target: '<= 2.00x',
      measured:
        `${ratio.toFixed(2)}x (median of per-run ratios; medians ${Math.round(med(100, 'planMs'))} / ` +
        `${Math.round(med(1, 'planMs'))} ms)`,
      met: ratio <= 2,
      ...(ratio <= 2
        ? {}
        : {
            why:
              `of the ${Math.round(med(100, 'planMs') - med(1, 'planMs'))} ms more for 100 pairs, ` +
              `${Math.round(med(100, 'validateMs') - med(1, 'validateMs'))} ms is spec loading (colo validate ` +
              `grows the same way) and ` +
              `${Math.round(med(100, 'planMs') - med(100, 'validateMs') - med(1, 'planMs') + med(1, 'validateMs'))} ` +
              `ms the hosts, planning and output; SSH per host stays at ${conns[2]} connection(s), ` +
              `${cmds[2]} command(s)`,
          }),
    });
    const flat = conns.every((c) => c === conns[0]) && cmds.every((c) => c === cmds[0]);
    res.goals.push({
      goal: 'SSH round trips grow with hosts, not VMs',
      target: 'same connections and commands per host for 1, 10, 100 pairs',
      measured: SIZES.map((n, i) => `${n}: ${conns[i]} conn / ${cmds[i]} cmd`).join('; '),
      met: flat,
      ...(flat ? {} : { why: 'the per-host counts differ between sizes (see the metrics)' }),
    });
    res.notes.push(
      `Specs: the lab's two hosts with 1, 10, 100 VM pairs (distinct names, fake image paths, ports from ` +
        `30000); colo validate accepts them. Each run plans the three sizes in a rotating order after one ` +
        `unrecorded warm-up; "same run" ratios divide figures taken minutes apart at most.`,
      `SSH counts are per host and per plan, from the sshd logs (LogLevel VERBOSE): "Connection from" lines ` +
        `(src/lab/sshd.ts countAcceptedConnections) and "Starting session: command" lines.`,
    );
    return res;
  },
};
