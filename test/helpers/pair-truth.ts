/**
 * The test's own look at a lab pair over QMP, independent of colo: which QEMUs run, in which COLO
 * mode, and whether the pair is fully in COLO (one primary whose migration is in the colo state,
 * one secondary). Call it only while no colo command runs (QEMU serves one QMP client at a time).
 */
import type { TestLab } from './lab.ts';

export type LabHost = 'alpha' | 'beta';

export interface SideTruth {
  pid: number | null;
  /** query-colo-status mode, or null when the QEMU does not run or does not answer. */
  mode: string | null;
  migration: string | null;
  runStatus: string | null;
}

export interface PairTruth {
  alpha: SideTruth;
  beta: SideTruth;
  /** Exactly one primary in migration state colo and one secondary. */
  inColo: boolean;
  /** The host whose QEMU is the COLO primary, when inColo. */
  primary: LabHost | null;
}

async function side(lab: TestLab, host: LabHost): Promise<SideTruth> {
  const pid = await lab.pid(host);
  if (!pid) return { pid, mode: null, migration: null, runStatus: null };
  try {
    return await lab.withQmp(host, async (q) => ({
      pid,
      mode: (await q.execute<{ mode: string }>('query-colo-status')).mode,
      migration: (await q.execute<{ status?: string }>('query-migrate')).status ?? 'none',
      runStatus: (await q.execute<{ status: string }>('query-status')).status,
    }));
  } catch {
    return { pid, mode: null, migration: null, runStatus: null };
  }
}

export async function pairTruth(lab: TestLab): Promise<PairTruth> {
  const alpha = await side(lab, 'alpha');
  const beta = await side(lab, 'beta');
  const isPrimary = (s: SideTruth) => s.mode === 'primary' && s.migration === 'colo';
  const primary: LabHost | null =
    isPrimary(alpha) && beta.mode === 'secondary'
      ? 'alpha'
      : isPrimary(beta) && alpha.mode === 'secondary'
        ? 'beta'
        : null;
  return { alpha, beta, inColo: primary !== null, primary };
}

const showSide = (s: SideTruth): string =>
  s.pid ? `pid ${s.pid} ${s.runStatus} mode ${s.mode} migration ${s.migration}` : 'no QEMU';

export const showTruth = (x: PairTruth): string => `alpha: ${showSide(x.alpha)}; beta: ${showSide(x.beta)}`;
