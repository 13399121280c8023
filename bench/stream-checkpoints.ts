/**
 * How the guest's stream (GUEST_STREAM_PORT, one line every 100 ms) affects COLO's checkpoint rate on
 * the loopback lab: checkpoints (STOP events on the primary) per minute with the guest idle, then
 * with one stream connection open, and the stream's line gaps as the client saw them. Run alone,
 * under the e2e lock: `flock /tmp/colo-e2e.lock node --import tsx bench/stream-checkpoints.ts [seconds]`.
 * Not part of `npm run bench` (it takes minutes and measures the guest, not colo).
 *
 * 2026-12-03, 2-CPU VM, TCG, checkpoint interval 2 s, 45 s windows: idle 29.3/min, stream open
 * 30.7/min, idle again 29.3/min; 437 lines, none missing, gap p50 100 ms, p99 192 ms, max 307 ms.
 * The stream's segments compare equal on both sides: it adds no mismatch checkpoints to speak of.
 */
import { performance } from 'node:perf_hooks';
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { GUEST_STREAM_PORT } from '../src/lab/guest-services.ts';
import { colo, startLab } from '../test/helpers/lab.ts';
import { arrivalGaps, streamProblems, StreamWatch } from '../test/helpers/stream.ts';

const seconds = Number(process.argv[2] ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const lab = await startLab();
try {
  // Forward the stream port like the service port (the user netdev of the primary's host).
  const streamPort = lab.vms[0]!.servicePort + 1000;
  const doc = parseDocument(await readFile(lab.spec, 'utf8'));
  const fwd = doc.getIn(['vms', 'web', 'netdevs', 0, 'hostForwards']) as { add(v: unknown): void };
  fwd.add(doc.createNode({ protocol: 'tcp', hostPort: streamPort, guestPort: GUEST_STREAM_PORT }));
  await writeFile(lab.spec, doc.toString({ lineWidth: 0 }));
  const apply = await colo(['apply', '-f', lab.spec, '--auto-approve']);
  if (apply.code !== 0) throw new Error(apply.stdout + apply.stderr);
  await sleep(10_000); // past the first checkpoints

  const qmp = await lab.qmp('alpha');
  let stops = 0;
  qmp.on('event', (e) => {
    if (e.event === 'STOP') stops++;
  });
  const window = async (what: string): Promise<number> => {
    const before = stops;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const n = stops - before;
    const perMin = (n * 60_000) / (performance.now() - t0);
    console.log(`${what}: ${n} checkpoints in ${seconds} s (${perMin.toFixed(1)}/min)`);
    return perMin;
  };
  await window('idle');
  const w = await StreamWatch.open('127.0.0.11', streamPort, 5000);
  await w.waitForLines(1, 30_000);
  await window('stream open');
  const gaps = arrivalGaps(w.lines).sort((a, b) => a - b);
  const q = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))]!.toFixed(0);
  console.log(
    `stream: ${w.lines.length} lines, problems ${JSON.stringify(streamProblems(w.lines, w.unparsed))}, ` +
      `gap ms p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)}`,
  );
  w.close();
  await window('idle again');
  await qmp.close();
} finally {
  await lab.down();
}
