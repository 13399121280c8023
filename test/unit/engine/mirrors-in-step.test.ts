/**
 * The mirrors-in-step poll of the colo-start recipe (src/render/recipes/colo-checks.ts), run by the
 * executor: once COLO runs, every resync mirror must be READY with nothing left to copy, or the
 * secondary's disk may lack writes. Fault injection with a fake QMP peer (the live path is proven
 * against real QEMU in test/e2e/apply.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QmpClient } from '../../../src/qmp/client.ts';
import { liveCopyTimeoutMs, mirrorsInStepPoll } from '../../../src/render/recipes/colo-checks.ts';
import { runQmpRecipe } from '../../../src/engine/run-recipe.ts';
import type { VmSpec } from '../../../src/spec/types.ts';
import { FakeQmpPeer } from '../qmp/fake-qmp-peer.ts';
import { fleetSpec, onlyVm } from '../render/spec-fixtures.ts';

const vm = onlyVm(fleetSpec()); // disks root and data: jobs resync-root, resync-data

/** The poll alone, as a recipe on the primary. */
async function mirrorsInStep(qmp: QmpClient, v: VmSpec, timeoutMs?: number): Promise<void> {
  const op = mirrorsInStepPoll(v, timeoutMs);
  await runQmpRecipe(
    { kind: 'qmp', name: 'mirrors-in-step', summary: 'test', vm: v.name, role: 'primary', hosts: {}, ops: [op] },
    { primary: qmp },
  );
}

async function peerAnswering(jobsPerCall: unknown[][]): Promise<{ qmp: QmpClient; calls: () => number }> {
  const peer = new FakeQmpPeer();
  let n = 0;
  peer.handler = (m, pr) => {
    if (m.execute !== 'query-block-jobs') return pr.replyError(m, 'CommandNotFound', `unexpected ${String(m.execute)}`);
    pr.reply(m, jobsPerCall[Math.min(n, jobsPerCall.length - 1)]);
    n++;
  };
  const p = QmpClient.connect(peer.stream);
  peer.greet();
  return { qmp: await p, calls: () => n };
}

const job = (device: string, over: Record<string, unknown> = {}) => ({
  type: 'mirror',
  device,
  len: 1000,
  offset: 1000,
  busy: false,
  paused: false,
  speed: 0,
  'io-status': 'ok',
  ready: true,
  status: 'ready',
  ...over,
});

describe('mirrorsInStep', () => {
  test('every job ready with offset == len: in step at the first query', async () => {
    const { qmp, calls } = await peerAnswering([[job('resync-root'), job('resync-data')]]);
    await mirrorsInStep(qmp, vm);
    assert.equal(calls(), 1);
  });

  test('a job briefly behind (a write in flight) is waited for', async () => {
    const { qmp, calls } = await peerAnswering([
      [job('resync-root'), job('resync-data', { len: 5096 })],
      [job('resync-root'), job('resync-data', { len: 5096, offset: 5096 })],
    ]);
    await mirrorsInStep(qmp, vm);
    assert.equal(calls(), 2);
  });

  test('a job that stays behind fails with how far behind it is', async () => {
    const { qmp } = await peerAnswering([[job('resync-root'), job('resync-data', { len: 9096 })]]);
    await assert.rejects(mirrorsInStep(qmp, vm, 300), /resync mirrors to be in step.*resync-data 8096 bytes behind/);
  });

  test('a job that is gone fails at once, naming it', async () => {
    const { qmp, calls } = await peerAnswering([[job('resync-root')]]);
    await assert.rejects(
      mirrorsInStep(qmp, vm),
      /the resync mirror resync-data is gone: the secondary's disk may have missed writes/,
    );
    assert.equal(calls(), 1);
  });

  test('a job that failed or paused on an error fails at once with its status and error', async () => {
    const { qmp } = await peerAnswering([
      [job('resync-root', { status: 'paused', error: 'Input/output error', ready: true }), job('resync-data')],
    ]);
    await assert.rejects(mirrorsInStep(qmp, vm), /resync mirror resync-root is paused \(Input\/output error\)/);
  });
});

describe('liveCopyTimeoutMs', () => {
  test('2 minutes plus the RAM three times over at the slower of max-bandwidth and 100 MiB/s', () => {
    const small = {
      ...vm,
      machine: { ...vm.machine, memoryMiB: 128 },
      checkpoint: { ...vm.checkpoint, maxBandwidthBytes: 1024 ** 3 },
    };
    assert.equal(liveCopyTimeoutMs(small), 120_000 + 3840);
    const big = {
      ...vm,
      machine: { ...vm.machine, memoryMiB: 16 * 1024 },
      checkpoint: { ...vm.checkpoint, maxBandwidthBytes: 50 * 1024 ** 2 },
    };
    assert.equal(liveCopyTimeoutMs(big), 120_000 + 983_040);
  });
});
