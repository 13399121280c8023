/** A three-host cluster spec (a fence.command, a fence agent with a secret) and its layout, for the CIB tests. */
import type { Spec } from '../../../../src/spec/types.ts';

export const threeHostSpec = {
  hosts: { alpha: { fence: { command: ['x'], timeoutMs: 30_000 } }, beta: {}, gamma: {} },
  cluster: {
    priorityFencingDelayMs: 1000,
    hosts: {
      alpha: { fencing: { kind: 'fence-command' } },
      beta: { fencing: { kind: 'agent', agent: 'fence_ipmilan', params: { ip: '10.0.0.1', password: 'a"<b' } } },
      gamma: { fencing: { kind: 'fence-command' } },
    },
  },
} as unknown as Spec;
export const threeHostLayout = {
  name: 'c-alpha',
  hosts: ['alpha', 'beta', 'gamma'],
  pairs: [{ vm: 'web', primary: 'alpha', secondary: 'beta' }],
};
