/**
 * Faults at every step, against real QEMU and sshd: for every step of apply (create, re-protect,
 * replacement, checkpoint update), destroy and failover, colo is interrupted right after that step
 * (test/helpers/fault-run.ts): SIGKILLed, its SSH connection to the step's host cut, the QEMU there
 * killed, or its state directory (a small tmpfs) filled or made read-only. Each case is judged by
 * test/helpers/fault-case.ts: state whole, left lock cleared with force-unlock, plan truthful,
 * apply converges to COLO.
 *
 * The steps come from colo's own plans at run time (test/helpers/fault-flows.ts). `npm test` runs
 * a seeded sample (COLO_FAULT_SAMPLE cases, default 8; the seed is printed, COLO_FAULT_SEED
 * reproduces it); `npm run test:faults` (COLO_FAULT_MATRIX=full) runs every step x fault and checks
 * that every step kind of the step table ran in some flow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { lockPathFor } from '../../src/state/lock.ts';
import { STEP_KINDS } from '../../src/engine/steps/run-step.ts';
import { FAILOVER_STEPS } from '../../src/engine/failover.ts';
import { colo, startLab, type TestLab } from '../helpers/lab.ts';
import { FLOWS } from '../helpers/fault-flows.ts';
import { FAULTS, StateMount, type Fault } from '../helpers/fault-run.ts';
import { runFaultCase, type CaseFigure } from '../helpers/fault-case.ts';

/** After a failed case: no lock, a writable state directory, the pair in COLO (destroyed and re-created if need be). */
async function recover(lab: TestLab, mount: StateMount): Promise<void> {
  mount.restore();
  rmSync(lockPathFor(mount.statePath), { force: true });
  if ((await colo(['apply', '-f', lab.spec, '--auto-approve'])).code === 0) return;
  await colo(['destroy', '-f', lab.spec, '--auto-approve']);
  await colo(['apply', '-f', lab.spec, '--auto-approve']);
}

const FULL = process.env.COLO_FAULT_MATRIX === 'full';
const SEED = Number(process.env.COLO_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SAMPLE = Number(process.env.COLO_FAULT_SAMPLE ?? 8);

/** mulberry32: a small seeded PRNG, so that a sample can be run again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** COLO_FAULT_FLOWS=create,destroy and COLO_FAULT_FAULTS=kill-self narrow the matrix (to reproduce a case). */
const only = (v: string | undefined) => (name: string) => !v || v.split(',').includes(name);
const flows = FLOWS.filter((f) => only(process.env.COLO_FAULT_FLOWS)(f.name));
/** Filling or remounting the state directory's tmpfs needs root (as the lab does). */
const ROOT_FAULTS: readonly Fault[] = ['state-full', 'state-ro'];
const faults = FAULTS.filter(only(process.env.COLO_FAULT_FAULTS)).filter(
  (f) => process.getuid?.() === 0 || !ROOT_FAULTS.includes(f),
);

const rand = seeded(SEED);
/** Sample picks: a flow, a fault, and where in the flow's steps (known only once it is planned). */
const picks = FULL
  ? []
  : Array.from({ length: SAMPLE }, () => ({
      flow: flows[Math.floor(rand() * flows.length)]!.name,
      fault: faults[Math.floor(rand() * faults.length)]!,
      at: rand(),
    }));

describe(
  `faults at every step (${FULL ? 'full matrix' : `sample of ${SAMPLE}, COLO_FAULT_SEED=${SEED}`})`,
  {
    timeout: FULL ? 4 * 3600_000 : 900_000,
  },
  () => {
    let lab: TestLab;
    let mount: StateMount | undefined;
    const figures: CaseFigure[] = [];
    const failed: string[] = [];
    const kindsRun = new Set<string>();

    before(async () => {
      process.stdout.write(`# fault matrix: ${FULL ? 'full' : `sample of ${SAMPLE}`}, COLO_FAULT_SEED=${SEED}\n`);
      lab = await startLab();
      mount = StateMount.mount(lab);
      const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
    after(async () => {
      const applicable = figures.filter((f) => f.applicable);
      const refused = applicable.filter((f) => f.refused).length;
      const line =
        `fault matrix (${FULL ? 'full' : `sample, COLO_FAULT_SEED=${SEED}`}): ${applicable.length + failed.length} ` +
        `step x fault cases ran, ${applicable.filter((f) => f.converged).length} converged, ${refused} refused by ` +
        `design (both QEMUs lost), ${failed.length} failed; ${figures.length - applicable.length} not applicable ` +
        `(nothing for the fault to act on, or the step not planned)`;
      process.stdout.write(`# ${line}\n${failed.map((f) => `#   FAILED ${f}\n`).join('')}`);
      if (process.env.COLO_FAULT_REPORT)
        writeFileSync(
          process.env.COLO_FAULT_REPORT,
          `${JSON.stringify({ seed: SEED, full: FULL, line, figures, failed }, null, 2)}\n`,
        );
      try {
        mount?.unmount();
      } finally {
        await lab?.down();
      }
    });

    for (const flow of flows) {
      const mine = picks.filter((p) => p.flow === flow.name);
      if (!FULL && mine.length === 0) continue;
      test(flow.name, async (t) => {
        await flow.setup(lab);
        const steps = await flow.steps(lab);
        assert.ok(steps.length > 0, `${flow.name}: nothing planned after its setup`);
        for (const s of steps) kindsRun.add(s.step);
        t.diagnostic(`${flow.name} steps: ${steps.map((s) => `${s.step}:${s.n}@${s.host ?? '-'}`).join(' ')}`);
        const cases = FULL
          ? steps.flatMap((step) => faults.map((fault: Fault) => ({ step, fault })))
          : mine.map((p) => ({ step: steps[Math.floor(p.at * steps.length)]!, fault: p.fault }));
        let ready = true; // the setup above is the first case's
        for (const c of cases) {
          const name = `${c.step.step}:${c.step.n} x ${c.fault}`;
          await t.test(name, async (tt) => {
            if (!ready) await flow.setup(lab);
            ready = false;
            const planned = await flow.steps(lab);
            if (!planned.some((s) => s.step === c.step.step && s.n === c.step.n)) {
              const now = planned.map((s) => `${s.step}:${s.n}`).join(' ');
              tt.diagnostic(`${flow.name}: ${name}: not planned after this setup (planned: ${now})`);
              figures.push({
                flow: flow.name,
                step: `${c.step.step}:${c.step.n}`,
                host: c.step.host,
                fault: c.fault,
                applicable: false,
                converged: false,
                note: `not planned after this setup (planned: ${now})`,
                ms: 0,
              });
              return;
            }
            try {
              figures.push(await runFaultCase(tt, lab, mount!, flow, c.step, c.fault));
            } catch (e) {
              failed.push(`${flow.name}: ${name}: ${(e as Error).message.split('\n')[0]}`);
              await recover(lab, mount!); // the pair back in COLO for the next case
              throw e;
            }
          });
        }
      });
    }

    if (FULL && flows.length === FLOWS.length) {
      test('every step kind of the step table, and every failover step, ran in some flow', () => {
        const missing = [...STEP_KINDS, ...FAILOVER_STEPS].filter((k) => !kindsRun.has(k));
        assert.deepEqual(missing, [], 'add a flow to test/helpers/fault-flows.ts that plans these steps');
      });
    }
  },
);
