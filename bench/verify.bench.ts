/**
 * `colo verify -f <lab spec>` on a healthy pair.
 *
 * PLACEHOLDER until the `verify` command lands: when `node bin/colo.js verify --help` exits
 * non-zero the benchmark is skipped with a message (timeVerify below is the part to keep).
 */
import { colo, expectCode } from './lib/cli.ts';
import { withLab } from './lib/lab.ts';
import { emptyResult, type Benchmark, type BenchContext, type BenchResult } from './lib/types.ts';

/** Does this build of colo have `verify`? */
export async function verifyAvailable(): Promise<boolean> {
  return (await colo(['verify', '--help'])).code === 0;
}

/** ---- placeholder body: times `colo verify` on a freshly applied lab pair ---- */
async function timeVerify(ctx: BenchContext, res: BenchResult): Promise<void> {
  await withLab({ log: ctx.log }, async (lab) => {
    expectCode(await colo(['apply', '-f', lab.specFile, '--auto-approve'], { timeoutMs: 600_000 }), 'colo apply');
    try {
      for (let run = 1; run <= ctx.runs; run++) {
        const r = await colo(['verify', '-f', lab.specFile]);
        if (r.code !== 0)
          throw new Error(
            `colo verify failed on a healthy pair (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-1500)}`,
          );
        ctx.log(`verify run ${run}: ${Math.round(r.ms)} ms`);
        res.runs.push({ run, ms: Math.round(r.ms), code: r.code });
      }
    } finally {
      await colo(['destroy', '-f', lab.specFile, '--auto-approve']);
    }
  });
  res.metrics.push({
    name: 'colo verify, healthy pair (wall)',
    unit: 'ms',
    samples: (res.runs as { ms: number }[]).map((r) => r.ms),
  });
  res.notes.push(
    'colo verify checks both sides in COLO, checkpoints advancing, no disabled secondary virtio device and the ' +
      'guest through the primary; to see checkpoints advance it waits for the next one (STOP then RESUME on the ' +
      'primary), so its time includes up to one checkpoint interval (2 s on the lab) and varies with where in ' +
      'the interval it starts.',
  );
}

export const verifyBench: Benchmark = {
  name: 'verify',
  title: 'colo verify on a healthy pair',
  async run(ctx) {
    const res = emptyResult();
    if (!(await verifyAvailable())) {
      res.skipped =
        '`colo verify` does not exist yet (`node bin/colo.js verify --help` exits non-zero): skipped. Re-run ' +
        '`npm run bench -- verify` once it lands.';
      return res;
    }
    await timeVerify(ctx, res);
    return res;
  },
};
