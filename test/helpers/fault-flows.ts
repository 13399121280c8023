/**
 * The operations of the fault matrix (test/e2e/faults.test.ts), each from a pair in COLO: how to
 * bring the lab to where the operation has work to do, the command, and the steps it will run. The
 * steps are never listed here: they come from `colo plan --json` at run time (apply and destroy) or
 * from FAILOVER_STEPS, so a new step in any of them becomes a case without editing the test.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FAILOVER_STEPS } from '../../src/engine/failover.ts';
import { colo, editSpec, eventually, type TestLab } from './lab.ts';
import type { LabHost } from './pair-truth.ts';

export interface PlannedFaultStep {
  /** The step name the hook matches (a plan step kind, or fence / promote). */
  step: string;
  /** Its occurrence among the steps of that name (host-prepare runs twice). */
  n: number;
  host: string | null;
}

export interface FaultFlow {
  name: string;
  /** From a pair in COLO to where `args` has work to do. */
  setup(lab: TestLab): Promise<void>;
  args(lab: TestLab): string[];
  steps(lab: TestLab): Promise<PlannedFaultStep[]>;
}

const ok = async (args: string[]) => {
  const r = await colo(args);
  assert.equal(r.code, 0, `colo ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The hosts the state gives the pair's roles now. */
export async function roles(lab: TestLab): Promise<{ primary: LabHost; secondary: LabHost }> {
  const r = await ok(['status', '-f', lab.spec, '--json']);
  const vm = (JSON.parse(r.stdout) as { vms: { primary: { host: LabHost }; secondary: { host: LabHost } }[] }).vms[0]!;
  return { primary: vm.primary.host, secondary: vm.secondary.host };
}

async function killQemu(lab: TestLab, host: LabHost): Promise<void> {
  const pid = await lab.pid(host);
  assert.ok(pid, `no QEMU on ${host} to kill`);
  process.kill(pid, 'SIGKILL');
  await eventually(`QEMU on ${host} gone`, async () => assert.equal(await lab.pid(host), null), 10_000, 100);
}

/** Back to the spec's roles (alpha primary) when a failover swapped them: the replacement needs them. */
async function specRoles(lab: TestLab): Promise<void> {
  if ((await roles(lab)).primary === 'alpha') return;
  await ok(['destroy', '-f', lab.spec, '--auto-approve']);
  await ok(['apply', '-f', lab.spec, '--auto-approve']);
}

async function planned(lab: TestLab, destroy = false): Promise<PlannedFaultStep[]> {
  const r = await colo(['plan', '-f', lab.spec, '--json', ...(destroy ? ['--destroy'] : [])]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { resource_changes: { kind: string; host: string | null }[] };
  const seen = new Map<string, number>();
  return doc.resource_changes.map((c) => {
    const n = (seen.get(c.kind) ?? 0) + 1;
    seen.set(c.kind, n);
    return { step: c.kind, n, host: c.host };
  });
}

const toggle = (from: RegExp, a: string, b: string) => (text: string) => {
  const m = from.exec(text);
  assert.ok(m, `${from} not in the lab spec`);
  return text.replace(from, m[0] === a ? b : a);
};

const apply = (lab: TestLab) => ['apply', '-f', lab.spec, '--auto-approve'];

export const FLOWS: FaultFlow[] = [
  {
    // from nothing: destroyed, and the hosts' work directories made anew but open to others (0755),
    // so that host-prepare runs (a missing one is already made, private, by the host lock's script)
    name: 'create',
    setup: async (lab) => {
      await ok(['destroy', '-f', lab.spec, '--auto-approve']);
      for (const h of ['alpha', 'beta']) {
        const wd = path.join(lab.dir, 'hosts', h);
        await rm(wd, { recursive: true, force: true });
        await mkdir(wd, { recursive: true });
        await chmod(wd, 0o755);
      }
    },
    args: apply,
    steps: (lab) => planned(lab),
  },
  {
    name: 'reprotect',
    setup: async (lab) => killQemu(lab, (await roles(lab)).secondary),
    args: apply,
    steps: (lab) => planned(lab),
  },
  {
    name: 'replace',
    setup: async (lab) => {
      await specRoles(lab);
      await editSpec(lab.spec, toggle(/memory: (128|160)M/, 'memory: 128M', 'memory: 160M'));
    },
    args: apply,
    steps: (lab) => planned(lab),
  },
  {
    name: 'checkpoint',
    setup: (lab) => editSpec(lab.spec, toggle(/interval: (2000|3000)ms/, 'interval: 2000ms', 'interval: 3000ms')),
    args: apply,
    steps: (lab) => planned(lab),
  },
  {
    name: 'destroy',
    setup: async () => undefined,
    args: (lab) => ['destroy', '-f', lab.spec, '--auto-approve'],
    steps: (lab) => planned(lab, true),
  },
  {
    name: 'failover',
    setup: async (lab) => killQemu(lab, (await roles(lab)).primary),
    args: (lab) => ['failover', 'web', '--to', 'secondary', '-f', lab.spec],
    steps: async (lab) => {
      const r = await roles(lab);
      const host = { fence: r.primary, promote: r.secondary };
      return FAILOVER_STEPS.map((step) => ({ step, n: 1, host: host[step] }));
    },
  },
];
