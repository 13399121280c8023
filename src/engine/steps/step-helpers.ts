/** Shared pieces of the step functions: the VM, its placement and dialects, QMP phases. */
import type { VmSpec } from '../../spec/types.ts';
import type { AppliedCheckpoint, VmState } from '../../plan/state-model.ts';
import type { Placement } from '../../render/placement.ts';
import type { QmpPhase } from '../../render/qmp-sequences.ts';
import type { Dialect } from '../../render/dialect.ts';
import type { ArgvOptions } from '../../render/argv.ts';
import { DEFAULT_QEMU_VERSION, dialectForVersion } from '../../render/dialect.ts';
import type { QmpClient } from '../../qmp/client.ts';
import { QmpError } from '../../qmp/types.ts';
import type { StepContext } from './run-step.ts';

export function stepVm(ctx: StepContext): VmSpec {
  const vm = ctx.spec.vms.find((v) => v.name === ctx.step.vm);
  if (!vm) throw new Error(`${ctx.step.address}: VM ${ctx.step.vm ?? '?'} is not in the spec`);
  return vm;
}

export function placementOf(ctx: StepContext, vm: VmSpec, primaryHasProxyChardevs = true): Placement {
  const r = ctx.plan.roles[vm.name] ?? {
    primary: vm.primary,
    secondary: vm.secondary,
    primaryOrigin: 'primary' as const,
  };
  return {
    primary: r.primary,
    secondary: r.secondary,
    primaryPromoted: r.primaryOrigin === 'promoted-secondary',
    primaryHasProxyChardevs,
  };
}

/** QEMU 7.2 unless the plan's host facts say otherwise. */
export function dialectOf(ctx: StepContext, host: string): Dialect {
  const v = ctx.plan.hostFacts[host]?.qemuVersion ?? DEFAULT_QEMU_VERSION;
  return dialectForVersion(v);
}

export function argvOptions(ctx: StepContext, host: string): ArgvOptions {
  return { dialect: dialectOf(ctx, host), kvmAvailable: ctx.plan.hostFacts[host]?.kvm ?? false };
}

export { argvHash } from '../../plan/argv-hash.ts';

/** What the state records as applied: the checkpoint settings QEMU holds while COLO runs. */
export function appliedCheckpointOf(vm: VmSpec): AppliedCheckpoint {
  const c = vm.checkpoint;
  return {
    intervalMs: c.intervalMs,
    compareTimeoutMs: c.compareTimeoutMs,
    expiredScanCycleMs: c.expiredScanCycleMs,
    maxQueueSize: c.maxQueueSize,
  };
}

export function emptyVmState(vm: VmSpec, p: Placement): VmState {
  return {
    primaryHost: p.primary,
    secondaryHost: p.secondary,
    primaryOrigin: p.primaryPromoted ? 'promoted-secondary' : 'primary',
    status: 'applying',
    started: {},
    created: {},
  };
}

export interface PhaseOptions {
  /** Errors of these QMP error classes / descriptions are tolerated (idempotent teardown). */
  tolerate?: (cmd: string, err: QmpError) => boolean;
  timeoutMs?: number;
  progress?: (m: string) => void;
  /** Called with each phase's wall time (ms) once it finished, waits included. */
  timing?: (phase: string, ms: number) => void;
}

/** Sends each phase's commands in order, stopping at the first error, then waits for its events. */
export async function runPhases(client: QmpClient, phases: QmpPhase[], opts: PhaseOptions = {}): Promise<void> {
  for (const phase of phases) {
    const since = client.eventSeq;
    const t0 = performance.now();
    opts.progress?.(phase.name);
    if (phase.pipelined) {
      // One round trip; every reply checked afterwards (QEMU runs them in order regardless).
      const replies = await client.executeAllSettled(phase.commands, { timeoutMs: opts.timeoutMs ?? 30_000 });
      replies.forEach((r, i) => {
        const c = phase.commands[i]!;
        if (r.ok) return;
        if (r.error instanceof QmpError && opts.tolerate?.(c.execute, r.error)) return;
        if (r.error instanceof QmpError)
          throw new QmpError(`${phase.name}: ${c.execute}`, r.error.errorClass, r.error.desc);
        throw r.error;
      });
    } else {
      for (const c of phase.commands) {
        try {
          await client.execute(c.execute, c.arguments, { timeoutMs: opts.timeoutMs ?? 30_000 });
        } catch (err) {
          if (err instanceof QmpError && opts.tolerate?.(c.execute, err)) continue;
          if (err instanceof QmpError) throw new QmpError(`${phase.name}: ${c.execute}`, err.errorClass, err.desc);
          throw err;
        }
      }
    }
    if (phase.waitFor) {
      const { event, jobIds } = phase.waitFor;
      const accepted = event === 'BLOCK_JOB_COMPLETED' ? ['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'] : [event];
      await Promise.all(
        jobIds.map(async (job) => {
          const errEvent = client
            .waitForEvent('BLOCK_JOB_ERROR', (e) => e.data?.device === job, { since, timeoutMs: 0 })
            .then((e) => {
              throw new Error(`block job ${job} failed: ${JSON.stringify(e.data)}`);
            });
          const ok = Promise.any(
            accepted.map((name) =>
              client.waitForEvent(name, (e) => e.data?.device === job, { since, timeoutMs: opts.timeoutMs ?? 600_000 }),
            ),
          ).catch((e: AggregateError) => {
            throw new Error(
              `waiting for ${event} of block job ${job}: ${(e.errors[0] as Error)?.message ?? e.message}`,
            );
          });
          const done = await Promise.race([ok, errEvent]);
          errEvent.catch(() => undefined);
          if (done.event === 'BLOCK_JOB_COMPLETED' && typeof done.data?.error === 'string') {
            throw new Error(`block job ${job} ended with an error: ${done.data.error}`);
          }
        }),
      );
    }
    opts.timing?.(phase.name, Math.round(performance.now() - t0));
  }
}

/** Poll fn every intervalMs until it returns a value, or fail with `what` after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ` +
          `${what}${opts.lastSeen ? ` (last seen: ${opts.lastSeen()})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
