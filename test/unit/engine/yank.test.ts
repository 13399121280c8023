/**
 * The failover's yank (src/render/recipes/yank.ts run by the executor): out-of-band query-yank, then
 * a yank of each peer-facing instance it lists, nothing else (not the monitor's own chardev), all
 * answered while in-band commands hang (QEMU's main loop stuck on the peer); a connection without
 * OOB sends nothing and the failover goes on. A fake QMP peer: a real QEMU does not hang on cue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QmpClient } from '../../../src/qmp/client.ts';
import { renderYank, yankedInstances, yankTargets } from '../../../src/render/recipes/yank.ts';
import { runQmpRecipe } from '../../../src/engine/run-recipe.ts';
import { FakeQmpPeer, GREETING, type Msg } from '../qmp/fake-qmp-peer.ts';
import { vmOf, webSpec } from '../plan/plan-fixtures.ts';

const vm = vmOf(webSpec());

/** A QEMU whose main loop is stuck: it answers only out-of-band commands. */
async function stuckQemu(instances: Record<string, unknown>[], offerOob = true) {
  const peer = new FakeQmpPeer();
  const oob: Msg[] = [];
  peer.handler = (m, p) => {
    const name = m['exec-oob'];
    if (typeof name !== 'string') return; // in-band: never answered
    oob.push(m);
    p.reply(m, name === 'query-yank' ? instances : {});
  };
  const c = QmpClient.connect(peer.stream, { oob: true, timeoutMs: 1000 });
  peer.send({ QMP: { ...GREETING.QMP, capabilities: offerOob ? ['oob'] : [] } });
  return { peer, oob, qmp: await c };
}

describe('yank before a failover', () => {
  test("the primary's NBD client, proxy servers and migration: only what query-yank lists, out-of-band", async () => {
    const names = yankTargets(vm, 'primary').map((t) => t.name);
    const nbd = names.find((n) => n.startsWith('block-node nbd-'))!;
    const mirror = names.find((n) => n.startsWith('chardev mirror0-'))!;
    assert.ok(nbd && mirror, names.join(', '));
    const listed = [
      { type: 'block-node', 'node-name': nbd.slice('block-node '.length) },
      { type: 'chardev', id: mirror.slice('chardev '.length) },
      { type: 'chardev', id: 'compat_monitor0' },
      { type: 'migration' },
    ];
    const { peer, oob, qmp } = await stuckQemu(listed);
    const t0 = performance.now();
    const r = await runQmpRecipe(renderYank(vm, 'alpha', 'primary'), { primary: qmp });
    assert.ok(performance.now() - t0 < 500, 'answered at once although in-band commands hang');
    assert.deepEqual(yankedInstances(r.succeeded), [nbd, mirror, 'migration']);
    assert.deepEqual(
      oob.map((m) => [m['exec-oob'], m.arguments ?? null]),
      [
        ['query-yank', null],
        ['yank', { instances: [listed[0]] }],
        ['yank', { instances: [listed[1]] }],
        ['yank', { instances: [{ type: 'migration' }] }],
      ],
    );
    assert.equal(
      peer.received.filter((m) => m.execute !== undefined && m.execute !== 'qmp_capabilities').length,
      0,
      'nothing in-band',
    );
    await qmp.close();
  });

  test("the secondary's proxy chardevs and its incoming migration", () => {
    const names = yankTargets(vm, 'secondary').map((t) => t.name);
    assert.ok(names.some((n) => /^chardev red0-/.test(n)) && names.some((n) => /^chardev red1-/.test(n)));
    assert.equal(names.at(-1), 'migration');
    assert.ok(!names.some((n) => n.startsWith('block-node')), 'the secondary has no NBD client');
  });

  test('a yank QEMU refuses is tolerated and not reported as yanked', async () => {
    const peer = new FakeQmpPeer();
    peer.handler = (m, p) => {
      if (m['exec-oob'] === 'query-yank') p.reply(m, [{ type: 'migration' }]);
      else if (m['exec-oob'] === 'yank') p.replyError(m, 'DeviceNotFound', 'Instance not found');
    };
    const c = QmpClient.connect(peer.stream, { oob: true });
    peer.greet();
    const qmp = await c;
    const r = await runQmpRecipe(renderYank(vm, 'beta', 'secondary'), { secondary: qmp });
    assert.deepEqual(yankedInstances(r.succeeded), []);
    await qmp.close();
  });

  test('no OOB on the connection: nothing is sent, nothing yanked, the recipe does not fail', async () => {
    const { peer, oob, qmp } = await stuckQemu([{ type: 'migration' }], false);
    const before = peer.written;
    const r = await runQmpRecipe(renderYank(vm, 'alpha', 'primary'), { primary: qmp });
    assert.deepEqual(yankedInstances(r.succeeded), []);
    assert.equal(oob.length, 0);
    assert.equal(peer.written, before);
    assert.match(r.queryErrors['yank-instances'] ?? '', /no OOB/);
    await qmp.close();
  });
});
