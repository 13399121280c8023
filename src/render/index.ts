/**
 * Rendering: Spec -> what QEMU must be told, per VM and role. Pure. `renderVm` bundles every
 * rendering of one VM for a given placement (used by `colo render` and the golden tests).
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { Dialect } from './dialect.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from './argv.ts';
import { renderImagePrep, renderWorkDirPrep } from './image-prep.ts';
import { initialPlacement, type Placement } from './placement.ts';
import {
  renderCheckpointUpdate,
  renderFailoverPrimary,
  renderFailoverSecondary,
  renderMirrorStart,
  renderResyncFinish,
  renderSecondaryPrepare,
  renderSwitchover,
  type QmpPhase,
} from './qmp-sequences.ts';

export * from './argv.ts';
export * from './dialect.ts';

export * from './ids.ts';
export * from './image-prep.ts';
export * from './paths.ts';
export * from './placement.ts';
export * from './qemu-syntax.ts';
export * from './qmp-sequences.ts';

/** What colo knows about the QEMU on one host. */
export interface HostQemu {
  dialect: Dialect;
  kvmAvailable: boolean;
}

export interface VmRenderOptions {
  /** Per host name. */
  qemu: (hostName: string) => HostQemu;
  /** Default: the spec's initial placement. */
  placement?: Placement;
  /** Virtual sizes by disk id (from qemu-img info); falls back to the spec's sizeBytes. */
  diskSizes?: Readonly<Record<string, number>>;
}

export interface VmRendering {
  vm: string;
  placement: Placement;
  primary: {
    host: string;
    workDirPrep: string[][];
    /** Absent for a promoted primary: it already runs (started with the secondary argv). */
    argv?: string[];
    mirrorStart: QmpPhase[];
    switchover: QmpPhase[];
    /** Once COLO runs: end the resync mirrors. */
    resyncFinish: QmpPhase[];
    /** When the secondary died. */
    failover: QmpPhase[];
    checkpointUpdate: QmpPhase[];
  };
  secondary: {
    host: string;
    /** Absent when a disk's size is unknown (listed in unknownDiskSizes). */
    imagePrep?: string[][];
    unknownDiskSizes: string[];
    argv: string[];
    prepare: QmpPhase[];
    /** When the primary died. */
    failover: QmpPhase[];
  };
}

export function renderVm(spec: Spec, vm: VmSpec, o: VmRenderOptions): VmRendering {
  const placement = o.placement ?? initialPlacement(vm);
  const pq = o.qemu(placement.primary);
  const sq = o.qemu(placement.secondary);
  const sizes = o.diskSizes ?? {};
  const unknownDiskSizes = vm.disks.filter((d) => (sizes[d.id] ?? d.sizeBytes) === undefined).map((d) => d.id);
  const primaryArgv = placement.primaryPromoted ? undefined : renderPrimaryArgv(spec, vm, placement, pq);
  const imagePrep = unknownDiskSizes.length === 0 ? renderImagePrep(spec, vm, placement.secondary, sizes) : undefined;
  return {
    vm: vm.name,
    placement,
    primary: {
      host: placement.primary,
      workDirPrep: renderWorkDirPrep(spec, vm, placement.primary),
      ...(primaryArgv ? { argv: primaryArgv } : {}),
      mirrorStart: renderMirrorStart(spec, vm, placement),
      switchover: renderSwitchover(spec, vm, placement),
      resyncFinish: renderResyncFinish(vm),
      failover: renderFailoverPrimary(vm),
      checkpointUpdate: renderCheckpointUpdate(vm),
    },
    secondary: {
      host: placement.secondary,
      ...(imagePrep ? { imagePrep } : {}),
      unknownDiskSizes,
      argv: renderSecondaryArgv(spec, vm, placement, sq),
      prepare: renderSecondaryPrepare(spec, vm, placement, sq.dialect),
      failover: renderFailoverSecondary(vm),
    },
  };
}
