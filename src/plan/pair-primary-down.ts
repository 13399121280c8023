/**
 * The pair planner's cases where the primary cannot carry on as it is: its host is unreachable, its
 * QEMU is gone (blocked, or the pair is started again), or a QEMU runs but its QMP does not answer.
 */
import type { PairContext } from './pair-context.ts';
import type { ObservedQemu } from './observed.ts';
import { startPairSteps } from './reprotect-steps.ts';

/** The primary's host does not answer: nothing can be judged; failover is the user's call. */
export function primaryHostDown(c: PairContext): void {
  const { n, roles, pHost, sHost, sq } = c;
  const sAlive = sHost?.reachable && sq?.alive;
  if (c.deployed || sAlive) c.drift(`vm.${n}.primary`, roles.primary, `primary host ${roles.primary} is unreachable`);
  c.out.blocked = {
    vm: n,
    reason:
      `primary host ${roles.primary} is unreachable ` +
      `(${pHost?.error ?? 'not observed'})${sAlive ? `; the secondary on ${roles.secondary} still runs` : ''}`,
    ...(sAlive ? { hint: `if ${roles.primary} is down, run: colo failover ${n} --to secondary` } : {}),
  };
}

/** The primary's host answers but its QEMU does not run. */
export function primaryGone(c: PairContext): void {
  if (!primaryGoneBlocked(c)) startPairAgain(c);
}

/** The cases colo leaves to the user: a secondary lives on, the only disk is promoted, or no secondary host. */
function primaryGoneBlocked(c: PairContext): boolean {
  const { n, roles, sHost, sq } = c;
  if (c.secondaryAlive && stoppedByColo(c)) return false; // carry the replacement on
  if (c.secondaryAlive && (c.deployed || sq?.coloMode === 'secondary')) {
    c.drift(`vm.${n}.primary`, roles.primary, `the primary QEMU on ${roles.primary} is gone`);
    c.out.blocked = {
      vm: n,
      reason:
        `the primary QEMU on ${roles.primary} is gone; the VM lives on in the secondary on ` +
        `${roles.secondary}. colo does not promote a secondary on its own`,
      hint: `colo failover ${n} --to secondary`,
    };
    return true;
  }
  if (c.deployed && roles.primaryOrigin === 'promoted-secondary') {
    c.drift(`vm.${n}`, undefined, `both QEMUs of ${n} are gone`);
    c.out.blocked = {
      vm: n,
      reason:
        `both QEMUs of ${n} are gone and the latest disk is the promoted copy on ${roles.primary}; colo ` +
        `will not restart it from the original image`,
    };
    return true;
  }
  if (!sHost?.reachable) {
    if (c.deployed) {
      c.drift(`vm.${n}.primary`, roles.primary, `the primary QEMU on ${roles.primary} is gone`);
      c.drift(`vm.${n}.secondary`, roles.secondary, `secondary host ${roles.secondary} is unreachable`);
    }
    c.out.blocked = {
      vm: n,
      reason:
        `secondary host ${roles.secondary} is unreachable (${sHost?.error ?? 'not observed'}); a new ` +
        `pair cannot be started`,
    };
    return true;
  }
  return false;
}

/**
 * colo itself stopped this primary (primary-stop of a replacement: the state no longer records it
 * as started, the apply still running) and was interrupted before it started it again: the guest was
 * meant to restart from the primary's image, so the pair is started again (its secondary stopped
 * first), not handed to a failover. A primary that died on its own is still recorded as started.
 */
function stoppedByColo(c: PairContext): boolean {
  const vs = c.vmState;
  return (
    !!vs &&
    vs.status === 'applying' &&
    vs.primaryOrigin === 'primary' &&
    vs.primaryHost === c.roles.primary &&
    !vs.started[c.roles.primary]
  );
}

/** Both hosts answer and no QEMU carries the VM: start the primary from its image, then protect it. */
function startPairAgain(c: PairContext): void {
  const { vm, n, roles } = c;
  if (c.secondaryAlive && stoppedByColo(c))
    c.drift(
      `vm.${n}.primary`,
      roles.primary,
      `colo stopped the primary on ${roles.primary} to replace it and was interrupted before starting it again`,
    );
  else if (c.deployed)
    c.drift(
      `vm.${n}`,
      undefined,
      `both QEMUs of ${n} are gone; the VM will be started again from its disk image on ${roles.primary}`,
    );
  c.out.steps.push(
    ...startPairSteps(vm, roles, c.secondaryAlive, {
      secondaryStop: 'a leftover secondary QEMU runs without a primary',
      primaryStart: 'primary QEMU; the guest boots alone before COLO starts',
    }),
  );
}

/**
 * A QEMU that runs but does not answer QMP cannot be judged: never tear a pair down on a guess.
 * Returns true (the pair blocked) when the primary's or a running secondary's QMP is silent.
 */
export function qmpSilent(c: PairContext, pq: ObservedQemu): boolean {
  const { n, roles } = c;
  for (const q of [pq, c.secondaryAlive ? c.sq : undefined]) {
    if (q?.qmpError) {
      const hung = q.hung
        ? `is hung: it runs (pid ${q.pid ?? '?'}) but gave no QMP answer within ${q.hung.deadlineMs} ms` +
          `${q.stopped ? ' (its process is stopped)' : ''}`
        : `runs (pid ${q.pid ?? '?'}) but its QMP socket does not answer`;
      c.out.blocked = {
        vm: n,
        reason:
          `the QEMU of ${n} on ${q.host} ${hung}: ` +
          `${q.qmpError}. QEMU serves one QMP client at a time: is another client connected? A QEMU that stays ` +
          `silent is wedged`,
        hint:
          q.host === roles.primary
            ? `disconnect the other QMP client, or if the primary is wedged: colo failover ${n} --to secondary`
            : `disconnect the other QMP client, or if the secondary is wedged: colo failover ${n} --to primary`,
      };
      return true;
    }
    // A health query that failed: the pair cannot be judged healthy, nor torn down on a guess.
    if (q?.healthUnknown?.length) {
      c.out.blocked = {
        vm: n,
        reason:
          `the health of ${n} on ${q.host} cannot be judged: ` +
          `${q.healthUnknown.map((u) => `${u.query}: ${u.detail}`).join('; ')}`,
        hint: 'run colo plan again; a QEMU that keeps failing these queries needs a look (qemu.log)',
      };
      return true;
    }
  }
  return false;
}
