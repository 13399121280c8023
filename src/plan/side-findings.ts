/** What is wrong with each side of a running pair, in plain language, from its QMP observation. */
import { argvDrift } from './argv-drift.ts';
import type { ObservedQemu } from './observed.ts';
import type { PairExpectation } from './pair-expectation.ts';
import type { AttributeChange } from './plan-model.ts';

/** What is wrong with one side, in plain language (empty = healthy). */
export interface SideFindings {
  problems: string[];
  argvChanges: AttributeChange[];
}

/** ", last exit reason R" when QEMU reported why COLO last ended. */
function lastExit(q: ObservedQemu): string {
  return q.coloReason && q.coloReason !== 'none' ? `, last exit reason ${q.coloReason}` : '';
}

/** Health of the primary's COLO machinery. */
export function primaryFindings(q: ObservedQemu, exp: PairExpectation): SideFindings {
  const problems: string[] = [];
  if (q.qmpError) problems.push(`QMP on ${q.host} does not answer: ${q.qmpError}`);
  else {
    if (q.coloMode !== 'primary')
      problems.push(`COLO is not running on the primary (mode ${q.coloMode ?? 'unknown'}${lastExit(q)})`);
    if (q.migrateStatus !== 'colo') problems.push(`migration status is ${q.migrateStatus ?? 'unknown'}, not colo`);
    const objects = new Set(q.objects ?? []);
    for (const id of exp.primaryProxyObjects)
      if (!objects.has(id)) problems.push(`proxy object ${id} is missing on the primary (deleted outside colo?)`);
    for (const r of exp.replication) {
      const children = q.quorumChildren?.[r.quorum] ?? [];
      if (!children.includes(r.child))
        problems.push(`replication child ${r.child} is not in quorum ${r.quorum} on the primary`);
    }
    // A switchover colo lost contact with (the migration went on into COLO without it) leaves its
    // resync mirror running: colo never checked it was in step nor ended it.
    const left = exp.resyncNodes.filter((node) => (q.blockNodes ?? []).includes(node));
    if (left.length > 0)
      problems.push(
        `the resync mirror of an interrupted switchover is still there on the primary (${left.join(', ')}); colo ` +
          `never confirmed the disks were in step`,
      );
  }
  return { problems, argvChanges: argvDrift(q, exp) };
}

/** Health of the secondary: started as one, in COLO, its filters and exports there, its guest alive. */
export function secondaryFindings(q: ObservedQemu, exp: PairExpectation): SideFindings {
  const problems: string[] = [];
  if (q.startedAs && q.startedAs !== 'secondary') problems.push(`the QEMU on ${q.host} was not started as a secondary`);
  if (q.qmpError) problems.push(`QMP on ${q.host} does not answer: ${q.qmpError}`);
  else {
    if (q.coloMode !== 'secondary')
      problems.push(`the secondary is not in COLO (mode ${q.coloMode ?? 'unknown'}${lastExit(q)})`);
    const objects = new Set(q.objects ?? []);
    for (const id of exp.secondaryFilterObjects)
      if (!objects.has(id)) problems.push(`filter object ${id} is missing on the secondary (deleted outside colo?)`);
    const exports = new Set(q.nbdExports ?? []);
    for (const e of exp.exports) if (!exports.has(e)) problems.push(`NBD export ${e} is missing on the secondary`);
    for (const d of q.virtioDisabled ?? [])
      problems.push(
        `secondary virtio device ${d} is stuck disabled (QEMU virtio flag bug): its guest neither sends nor receives`,
      );
  }
  for (const line of q.consoleCrash ?? []) problems.push(`the secondary's guest crashed: "${line}"`);
  return { problems, argvChanges: argvDrift(q, exp) };
}
