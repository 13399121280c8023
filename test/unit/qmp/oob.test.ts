/** Out-of-band QMP (exec-oob): the capability negotiated only when asked for and offered; OOB replies overtake. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QmpClient } from '../../../src/qmp/client.ts';
import { QmpConnectionError } from '../../../src/qmp/types.ts';
import { FakeQmpPeer, GREETING, type Msg } from './fake-qmp-peer.ts';

async function connect(opts: { oob?: boolean }, offered: string[] = ['oob']) {
  const peer = new FakeQmpPeer();
  const p = QmpClient.connect(peer.stream, { timeoutMs: 2000, ...opts });
  peer.send({ QMP: { ...GREETING.QMP, capabilities: offered } });
  return { peer, qmp: await p };
}

const capsOf = (peer: FakeQmpPeer): Msg => peer.received.find((m) => m.execute === 'qmp_capabilities')!;

describe('QMP out-of-band', () => {
  test('asked for and offered: qmp_capabilities enables oob, and exec-oob commands go out as such', async () => {
    const { peer, qmp } = await connect({ oob: true });
    assert.deepEqual(capsOf(peer).arguments, { enable: ['oob'] });
    assert.equal(qmp.oob, true);
    const p = qmp.execute('query-yank', undefined, { oob: true });
    const [sent] = await waitForOob(peer, 'query-yank');
    assert.equal(sent!.execute, undefined);
    assert.equal(typeof sent!.id, 'number');
    peer.reply(sent!, [{ type: 'migration' }]);
    assert.deepEqual(await p, [{ type: 'migration' }]);
    await qmp.close();
  });

  test('an OOB reply overtakes an in-band command QEMU never answers (its main loop stuck)', async () => {
    const { peer, qmp } = await connect({ oob: true });
    const stuck = qmp.execute('x-blockdev-change', { parent: 'colo-disk0', child: 'children.1' }, { timeoutMs: 0 });
    let stuckDone = false;
    void stuck.then(
      () => (stuckDone = true),
      () => (stuckDone = true),
    );
    const yank = qmp.executeAllSettled([
      { execute: 'yank', arguments: { instances: [{ type: 'migration' }] }, oob: true },
    ]);
    const [sent] = await waitForOob(peer, 'yank');
    assert.deepEqual(sent!.arguments, { instances: [{ type: 'migration' }] });
    peer.reply(sent!, {});
    assert.deepEqual(await yank, [{ ok: true, value: {} }]);
    assert.equal(stuckDone, false, 'the in-band command is still waiting');
    await qmp.close();
    await assert.rejects(stuck, QmpConnectionError);
  });

  test('offered but not asked for: no capability enabled, an OOB call refused before anything is written', async () => {
    const { peer, qmp } = await connect({});
    assert.equal('arguments' in capsOf(peer), false);
    assert.equal(qmp.oob, false);
    const before = peer.written;
    await assert.rejects(qmp.execute('query-yank', undefined, { oob: true }), (err: unknown) => {
      assert.ok(err instanceof QmpConnectionError);
      assert.match(err.message, /cannot send query-yank out-of-band.*no OOB/);
      return true;
    });
    assert.equal(peer.written, before);
    await qmp.close();
  });

  test('asked for but not offered (a monitor on stdio, or an old QEMU): plain capabilities, oob false', async () => {
    const { peer, qmp } = await connect({ oob: true }, []);
    assert.equal('arguments' in capsOf(peer), false);
    assert.equal(qmp.oob, false);
    await assert.rejects(qmp.execute('yank', { instances: [] }, { oob: true }), QmpConnectionError);
    await qmp.close();
  });
});

async function waitForOob(peer: FakeQmpPeer, name: string): Promise<Msg[]> {
  for (let i = 0; i < 200; i++) {
    const hits = peer.received.filter((m) => m['exec-oob'] === name);
    if (hits.length > 0) return hits;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no exec-oob ${name} sent`);
}
