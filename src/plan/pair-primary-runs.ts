/**
 * The pair planner's cases where the primary runs and answers: its command line must change (a
 * replacement), its secondary is gone or broken (re-protection), or only parameters differ.
 */
import { commandLineOf, startedByColoAsRunning } from './argv-drift.ts';
import type { PairContext } from './pair-context.ts';
import type { ObservedQemu } from './observed.ts';
import { paramChanges } from './param-changes.ts';
import { reprotectSteps, startPairSteps } from './reprotect-steps.ts';
import { secondaryFindings } from './side-findings.ts';
import type { SideFindings } from './side-findings.ts';

function showValue(v: unknown): string {
  return v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** The primary runs another command line than the spec renders: replace it (a reboot), unless promoted. */
export function primaryArgvChanged(c: PairContext, pq: ObservedQemu, pf: SideFindings): void {
  const { vm, n, roles } = c;
  // colo started it with the argv it runs: the spec changed, nothing changed outside colo.
  const specEdit = startedByColoAsRunning(pq, c.vmState);
  if (!specEdit)
    c.drift(
      `vm.${n}.primary`,
      roles.primary,
      `the primary QEMU runs with a command line colo did not start it with, and not the one the spec renders now`,
    );
  if (roles.primaryOrigin === 'promoted-secondary') {
    // primary-start would boot the guest from the user's original image path on this host: the
    // promoted disk (the only current copy) would be left behind. Same rule as "both gone".
    const what = pf.argvChanges.map((ch) => `${ch.path} ${showValue(ch.before)} -> ${showValue(ch.after)}`).join(', ');
    c.out.blocked = {
      vm: n,
      reason:
        `the primary of ${n} on ${roles.primary} is a promoted secondary and the spec now renders a ` +
        `different command line (${what}); replacing it would restart the guest from the original image and ` +
        `lose the promoted disk, so colo will not. Revert the spec change to keep the pair as it is`,
    };
    return;
  }
  c.out.warnings.push(`replacing the primary of ${n} restarts its guest (a reboot)`);
  c.out.steps.push({
    address: `vm.${n}.primary`,
    action: 'replace',
    kind: 'primary-stop',
    vm: n,
    host: roles.primary,
    reason: specEdit
      ? 'the spec changed a setting QEMU only takes at start'
      : "its command line was changed outside colo; QEMU takes the spec's only at start",
    changes: pf.argvChanges,
    ...commandLineOf(pq, c.exp),
  });
  c.out.steps.push(
    ...startPairSteps(vm, roles, c.secondaryAlive, {
      secondaryStop: 'the secondary must be rebuilt for the new primary',
      primaryStart: 'primary QEMU with the new command line',
    }),
  );
}

/** The primary runs, its secondary does not: re-protect, or wait for an unreachable secondary host. */
export function secondaryGone(c: PairContext, pq: ObservedQemu, inColo: boolean): void {
  const { vm, n, roles, sHost } = c;
  if (!sHost?.reachable) {
    c.drift(`vm.${n}.secondary`, roles.secondary, `secondary host ${roles.secondary} is unreachable`);
    c.out.blocked = {
      vm: n,
      reason:
        `secondary host ${roles.secondary} is unreachable (${sHost?.error ?? 'not observed'}); ` +
        (inColo
          ? `the primary on ${roles.primary} still waits for it in COLO and holds its output`
          : `the pair stays degraded: ${n} runs unprotected on ${roles.primary}`),
      ...(inColo ? { hint: `colo failover ${n} --to primary` } : {}),
    };
    return;
  }
  if (c.deployed || inColo)
    c.drift(
      `vm.${n}.secondary`,
      roles.secondary,
      `the secondary QEMU on ${roles.secondary} is ` +
        `gone${c.vmState?.status === 'degraded' ? ' (pair degraded since the last failover)' : ''}`,
    );
  c.out.steps.push(
    ...reprotectSteps(vm, roles, {
      leaveColo: inColo || (pq.objects ?? []).some((o) => c.exp.primaryProxyObjects.includes(o)),
      stopSecondary: false,
      reason: `its secondary on ${roles.secondary} is gone`,
    }),
  );
}

/**
 * Both QEMUs run: anything wrong with either side (or a changed secondary command line) rebuilds the
 * secondary. Returns false when there is nothing to re-protect.
 */
export function secondaryProblems(
  c: PairContext,
  pq: ObservedQemu,
  sq: ObservedQemu,
  pf: SideFindings,
  inColo: boolean,
): boolean {
  const { vm, n, roles, exp } = c;
  const sf = secondaryFindings(sq, exp);
  const problems = [...pf.problems, ...sf.problems];
  for (const p of problems) c.drift(`vm.${n}`, undefined, p);
  if (sf.argvChanges.length > 0) {
    if (startedByColoAsRunning(sq, c.vmState)) problems.push("the spec changed the secondary's command line");
    else {
      const p =
        'the secondary QEMU runs with a command line colo did not start it with, and not the one the spec renders now';
      c.drift(`vm.${n}`, undefined, p);
      problems.push(p);
    }
  }
  if (problems.length === 0) return false;
  const anyColoState =
    inColo ||
    (pq.objects ?? []).some((o) => exp.primaryProxyObjects.includes(o)) ||
    exp.replication.some((r) => (pq.quorumChildren?.[r.quorum] ?? []).includes(r.child));
  c.out.steps.push(
    ...reprotectSteps(vm, roles, {
      leaveColo: anyColoState,
      stopSecondary: true,
      reason: `re-protect: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      changes: sf.argvChanges,
      ...commandLineOf(sq, exp),
    }),
  );
  return true;
}

/** A healthy pair: in-place parameter changes only. */
export function parameterUpdate(c: PairContext, pq: ObservedQemu): void {
  const { vm, n, roles } = c;
  const changes = paramChanges(pq, c.exp);
  if (changes.length === 0) return;
  // Still what colo last applied: the spec changed. Otherwise someone changed them on the host.
  const applied = c.vmState?.appliedCheckpoint;
  const specEdit =
    applied !== undefined &&
    paramChanges(pq, c.input.expectation({ ...vm, checkpoint: { ...vm.checkpoint, ...applied } }, roles)).length === 0;
  if (!specEdit)
    c.drift(
      `vm.${n}.checkpoint`,
      roles.primary,
      `checkpoint/compare parameters differ from the spec: ` +
        `${changes.map((ch) => `${ch.path} is ${String(ch.before)}`).join(', ')}`,
    );
  const reason = specEdit
    ? 'the spec changed the checkpoint policy; applied in place, no restart'
    : "checkpoint policy changed outside colo; the spec's is applied in place, no restart";
  c.out.steps.push({
    address: `vm.${n}.checkpoint`,
    action: 'update',
    kind: 'checkpoint-update',
    vm: n,
    host: roles.primary,
    reason,
    changes,
  });
}
