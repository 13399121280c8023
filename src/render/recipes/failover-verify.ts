/**
 * After a failover, on the survivor: it runs with COLO mode none, and which of its virtio devices
 * are disabled (a warning then). The same queries whichever side survived.
 */
import type { VmSpec } from '../../spec/types.ts';
import { all, cmd, eq, not, query, ref } from './build.ts';
import { virtioStatusQueries } from './colo-checks.ts';
import type { QemuRole, QmpRecipe } from './types.ts';

export function renderSurvivorVerify(vm: VmSpec, host: string, role: QemuRole): QmpRecipe {
  const status = ref('status', 'status');
  const mode = ref('colo', 'mode');
  return {
    kind: 'qmp',
    name: 'survivor-verify',
    summary: 'the survivor runs alone (COLO mode none); its virtio devices read for the `disabled` flag',
    vm: vm.name,
    role,
    hosts: { [role]: host },
    ops: [
      {
        op: 'poll',
        what: `${vm.name} on ${host} to run with COLO mode none`,
        queries: [query('status', cmd('query-status')), query('colo', cmd('query-colo-status'))],
        pending: [
          {
            when: not(all(eq(status, 'running'), eq(mode, 'none'))),
            show: [{ value: status }, ', COLO mode ', { value: mode }],
          },
        ],
        intervalMs: 20,
        timeoutMs: 30_000,
      },
      { op: 'query', queries: virtioStatusQueries(vm, 'virtio') },
    ],
  };
}
