/** Builds a pair's PairExpectation from the renderers, for the planner's health checks. */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { HostFacts } from './plan-model.ts';
import type { PairExpectation, Role } from './pair-expectation.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from '../render/argv.ts';
import { DEFAULT_QEMU_VERSION, dialectForVersion } from '../render/dialect.ts';
import { diskIds, nicIds } from '../render/ids.ts';

export function pairExpectation(
  spec: Spec,
  vm: VmSpec,
  roles: { primary: string; secondary: string },
  hostFacts: Record<string, HostFacts>,
): PairExpectation {
  const other = (h: string) => (h === vm.primary ? vm.secondary : vm.primary);
  const optsFor = (h: string) => ({
    dialect: dialectForVersion(hostFacts[h]?.qemuVersion ?? DEFAULT_QEMU_VERSION),
    kvmAvailable: hostFacts[h]?.kvm ?? false,
  });
  void roles;
  return {
    argv(host: string, role: Role): string[] {
      if (role === 'primary') {
        return renderPrimaryArgv(
          spec,
          vm,
          { primary: host, secondary: other(host), primaryPromoted: false, primaryHasProxyChardevs: true },
          optsFor(host),
        );
      }
      return renderSecondaryArgv(
        spec,
        vm,
        { primary: other(host), secondary: host, primaryPromoted: false, primaryHasProxyChardevs: true },
        optsFor(host),
      );
    },
    primaryProxyObjects: vm.netdevs.flatMap((n) => {
      const i = nicIds(n);
      return [i.filterMirror, i.redirectorOut, i.redirectorIn, i.iothread, i.compare];
    }),
    secondaryFilterObjects: vm.netdevs.flatMap((n) => {
      const i = nicIds(n);
      return [i.secRedirectTx, i.secRedirectRx, i.rewriter];
    }),
    replication: vm.disks.map((d) => ({ disk: d.id, quorum: diskIds(d).quorum, child: diskIds(d).replication })),
    resyncNodes: vm.disks.flatMap((d) => [diskIds(d).mirrorJob, diskIds(d).mirrorTarget]),
    exports: vm.disks.map((d) => diskIds(d).exportName),
    migrateParams: { 'x-checkpoint-delay': vm.checkpoint.intervalMs },
    compareProps: Object.fromEntries(
      vm.netdevs.map((n) => [
        nicIds(n).compare,
        {
          compare_timeout: vm.checkpoint.compareTimeoutMs,
          expired_scan_cycle: vm.checkpoint.expiredScanCycleMs,
          max_queue_size: vm.checkpoint.maxQueueSize,
        },
      ]),
    ),
  };
}
