/**
 * One case of the fault matrix, judged: after colo was interrupted by `fault` right after `step`, the
 * state file is whole (never lost, never truncated, schema-valid), a lock left behind names its dead
 * holder and `colo force-unlock` clears it, `colo plan` tells the truth (never "No changes" while the
 * test's own QMP look says the pair is not in COLO), and `colo apply` converges to COLO.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { readState } from '../../src/state/state-file.ts';
import { lockPathFor } from '../../src/state/lock.ts';
import { colo, type CliResult, type TestLab } from './lab.ts';
import type { FaultFlow, PlannedFaultStep } from './fault-flows.ts';
import { runWithFault, type Fault, type StateMount } from './fault-run.ts';
import { pairTruth, showTruth } from './pair-truth.ts';

export interface CaseFigure {
  flow: string;
  step: string;
  host: string | null;
  fault: Fault;
  /** False: the fault had nothing to act on there (counted apart). */
  applicable: boolean;
  converged: boolean;
  /** plan refused to converge alone, by design (both QEMUs lost); the test then destroyed and re-created the pair. */
  refused?: true;
  /** What colo's own run said, and what plan then named. */
  note: string;
  ms: number;
}

const show = (r: CliResult) => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

interface PlanDoc {
  resource_changes: { address: string; kind: string }[];
  blocked: { vm: string; reason: string; hint?: string }[];
  resource_drift: { address: string; description: string }[];
}

/** The state file after the fault: there when it was there before, parseable, schema-valid, not older. */
async function assertStateWhole(mount: StateMount, before: string | null): Promise<void> {
  const text = mount.readState();
  if (before !== null) assert.ok(text !== null, 'the state file is gone');
  if (text === null) return;
  const state = await readState(mount.statePath); // throws on truncated / invalid JSON / schema errors
  assert.ok(state);
  if (before !== null) {
    const prev = JSON.parse(before) as { serial: number; lineage: string };
    assert.equal(state.lineage, prev.lineage, 'the state lineage changed');
    assert.ok(state.serial >= prev.serial, `state serial went back: ${prev.serial} -> ${state.serial}`);
  }
  if (existsSync(`${mount.statePath}.backup`)) JSON.parse(readFileSync(`${mount.statePath}.backup`, 'utf8'));
}

/** A lock left behind names its holder (a dead colo), plan refuses naming it, force-unlock clears it. */
async function clearLeftLock(lab: TestLab, mount: StateMount, expectLeft: boolean): Promise<string> {
  const file = lockPathFor(mount.statePath);
  if (!existsSync(file)) {
    assert.ok(!expectLeft, 'colo was killed, yet no lock was left behind');
    return 'no lock left';
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as { id: string; pid: number; operation: string; who: string };
  assert.ok(
    info.id && info.pid > 0 && info.operation && info.who,
    `the lock does not name its holder: ${JSON.stringify(info)}`,
  );
  assert.throws(() => process.kill(info.pid, 0), 'the lock holder still runs');
  const p = await colo(['plan', '-f', lab.spec]);
  assert.equal(p.code, 1, show(p));
  assert.match(p.stderr, new RegExp(`Lock Info:[^]*ID:\\s+${info.id}[^]*PID:\\s+${info.pid}[^]*no longer running`));
  assert.match(p.stderr, new RegExp(`colo force-unlock ${info.id}`));
  const u = await colo(['force-unlock', info.id, '-f', lab.spec]);
  assert.equal(u.code, 0, show(u));
  assert.ok(!existsSync(file), 'force-unlock left the lock file');
  return `lock of ${info.operation} pid ${info.pid} left, force-unlocked`;
}

/**
 * Both sides of the pair lost (the fault killed the only survivor): plan refuses to restart the guest
 * from the original image over the newer promoted copy, by design; the operator decides.
 */
class RefusedByDesign extends Error {}

/** plan tells the truth; a blocked pair's hint (a failover) is run, as an operator would. */
async function planTellsTruth(lab: TestLab): Promise<string> {
  const x = await pairTruth(lab);
  const p = await colo(['plan', '-f', lab.spec, '--json', '--detailed-exitcode']);
  assert.ok(p.code === 0 || p.code === 2, show(p));
  const doc = JSON.parse(p.stdout) as PlanDoc;
  const named = [
    ...doc.resource_changes.map((c) => c.kind),
    ...doc.blocked.map((b) => `blocked(${b.hint ?? b.reason.slice(0, 60)})`),
  ];
  assert.ok(p.code === 2 || x.inColo, `plan says No changes while the pair is not in COLO: ${showTruth(x)}`);
  if (!x.inColo) assert.ok(named.length > 0, `plan names nothing to do while ${showTruth(x)}`);
  for (const b of doc.blocked) {
    if (!b.hint && /both QEMUs of \S+ are gone/.test(b.reason) && !x.alpha.pid && !x.beta.pid)
      throw new RefusedByDesign(`plan: blocked, ${b.reason} (${showTruth(x)})`);
    const hint = /^colo (failover \S+ --to (?:primary|secondary))$/.exec(b.hint ?? '');
    assert.ok(hint, `plan blocked ${b.vm} without a command to resolve it: ${b.reason}`);
    const r = await colo([...hint[1]!.split(' '), '-f', lab.spec]);
    assert.equal(r.code, 0, show(r));
  }
  return `plan: ${named.join(', ') || 'no changes'} (${showTruth(x)})`;
}

export async function runFaultCase(
  t: TestContext,
  lab: TestLab,
  mount: StateMount,
  flow: FaultFlow,
  step: PlannedFaultStep,
  fault: Fault,
): Promise<CaseFigure> {
  const t0 = performance.now();
  const before = mount.readState();
  const run = await runWithFault(lab, mount, flow.args(lab), step, fault);
  const r = run.result;
  const where = `${flow.name}: ${step.step}:${step.n} x ${fault}`;
  assert.ok(run.fired, `${where}: the step never completed, the fault was not injected\n${show(r)}`);
  if (fault === 'kill-self') assert.equal(r.signal, 'SIGKILL', show(r));
  else assert.notEqual(r.code, null, `colo did not exit by itself\n${show(r)}`);
  assert.doesNotMatch(r.stderr, STACK, `a stack trace\n${show(r)}`);
  const notes = [run.detail, `colo ${fault === 'kill-self' ? 'killed' : `exit ${r.code}`}`];
  if ((fault === 'state-full' || fault === 'state-ro') && run.applicable) {
    const cause = fault === 'state-full' ? /no space left on the device \(ENOSPC\)/ : /read-only \(EROFS\)/;
    assert.equal(r.code, 1, `a state write on a ${fault} directory did not fail\n${show(r)}`);
    assert.match(r.stderr, new RegExp(`cannot write state file .*: .*${cause.source}`), show(r));
    assert.equal(mount.readState(), run.stateAtFault, 'the previous state was not kept');
    mount.restore();
  }
  await assertStateWhole(mount, before);
  notes.push(await clearLeftLock(lab, mount, fault === 'kill-self'));
  let refused = false;
  try {
    notes.push(await planTellsTruth(lab));
  } catch (e) {
    if (!(e instanceof RefusedByDesign)) throw e;
    notes.push(e.message, 'the test destroys and re-creates the pair');
    refused = true;
    const d = await colo(['destroy', '-f', lab.spec, '--auto-approve']);
    assert.equal(d.code, 0, show(d));
  }
  const a = await colo(['apply', '-f', lab.spec, '--auto-approve']);
  assert.equal(a.code, 0, `${where}: apply did not converge\n${show(a)}`);
  const again = await colo(['plan', '-f', lab.spec, '--detailed-exitcode']);
  assert.equal(again.code, 0, `${where}: plan after apply\n${show(again)}`);
  const x = await pairTruth(lab);
  assert.ok(x.inColo, `${where}: not in COLO after apply: ${showTruth(x)}`);
  const v = await colo(['verify', '-f', lab.spec]);
  assert.equal(v.code, 0, show(v));
  const ms = Math.round(performance.now() - t0);
  t.diagnostic(
    `${where} on ${step.host ?? '-'}: ${notes.join('; ')}; ${refused ? 'back in COLO' : 'converged'} in ${ms} ms`,
  );
  return {
    flow: flow.name,
    step: `${step.step}:${step.n}`,
    host: run.fired?.host ?? null,
    fault,
    applicable: run.applicable,
    converged: !refused,
    ...(refused ? { refused: true as const } : {}),
    note: notes.join('; '),
    ms,
  };
}
