/**
 * A failover's outcome in plain language, from the result's fields: what `colo failover` prints,
 * the `message` of its JSON document, and (the outcome alone) a drill phase's detail.
 */
import type { FailoverResult } from '../../../engine/failover.ts';

/** Where the VM runs now and how long it took ("web now runs alone on beta (...) in 320 ms [...]."). */
export function failoverOutcome(r: FailoverResult): string {
  if (r.outcome === 'already-failed-over') {
    if (r.recordedNow)
      return (
        `${r.vm} already runs alone on ${r.survivor} (${r.fenced} has no QEMU of it): an earlier failover ` +
        `promoted it but its state write was lost; recorded now, nothing else to do.`
      );
    const when = r.failedOverAt ? ` at ${r.failedOverAt}` : '';
    return `${r.vm} already runs alone on ${r.survivor} (failed over${when}); nothing to do.`;
  }
  const t = r.timings;
  return (
    `${r.vm} now runs alone on ${r.survivor} (${r.fenced} fenced: ${r.fencing}) in ${t.totalMs} ms ` +
    `[connect ${t.connectMs} ms, fence ${t.fenceMs} ms, QMP ${t.qmpMs} ms, verify ${t.verifyMs} ms].`
  );
}

/**
 * The outcome, what to do next, and warnings: disabled virtio devices on the survivor, an
 * announce-self the survivor refused.
 */
export function failoverMessage(r: FailoverResult): string {
  const warn =
    r.outcome === 'promoted' && r.virtioDisabled.length > 0
      ? ` Warning: virtio device(s) ${r.virtioDisabled.join(', ')} on ${r.survivor} are disabled.`
      : '';
  const announce =
    r.outcome === 'promoted' && r.announce.state === 'failed'
      ? ` Warning: announce-self on ${r.survivor} failed (${r.announce.error}); switches and clients ` +
        "learn the VM's new place only from its own traffic or when their entries age out."
      : '';
  const notes = r.outcome === 'promoted' ? hungAndYanked(r) : '';
  return `${failoverOutcome(r)}${notes} Run "colo apply" to re-protect it.${warn}${announce}`;
}

/** " alpha was hung (no QMP answer): killed at once. Yanked on beta: migration, chardev red0-lan." */
function hungAndYanked(r: Extract<FailoverResult, { outcome: 'promoted' }>): string {
  const hung = r.fencedHung ? ` ${r.fenced} was hung (no QMP answer in time): killed at once.` : '';
  const yanked = r.yanked.length > 0 ? ` Yanked on ${r.survivor}: ${r.yanked.join(', ')}.` : '';
  return `${hung}${yanked}`;
}
