import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QmpClient } from '../../../src/qmp/client.ts';
import { QmpConnectionError, QmpError, QmpTimeoutError } from '../../../src/qmp/types.ts';
import type { QmpEventRecord } from '../../../src/qmp/types.ts';
import { FakeQmpPeer, GREETING, tick } from './fake-qmp-peer.ts';

async function connected(
  opts: Parameters<typeof QmpClient.connect>[1] = {},
): Promise<{ peer: FakeQmpPeer; qmp: QmpClient }> {
  const peer = new FakeQmpPeer();
  const p = QmpClient.connect(peer.stream, opts);
  peer.greet();
  const qmp = await p;
  return { peer, qmp };
}

describe('QmpClient handshake', () => {
  test('reads the greeting, sends qmp_capabilities with an id, resolves only after the ack', async () => {
    const peer = new FakeQmpPeer();
    peer.autoCapabilities = false;
    let resolved = false;
    const p = QmpClient.connect(peer.stream, { timeoutMs: 2000 }).then((c) => {
      resolved = true;
      return c;
    });
    await tick();
    assert.equal(peer.received.length, 0, 'nothing is sent before the greeting');
    peer.greet();
    const [caps] = await peer.waitFor('qmp_capabilities');
    assert.ok(caps);
    assert.equal(typeof caps.id, 'number');
    assert.equal('arguments' in caps, false);
    await tick();
    assert.equal(resolved, false, 'connect waits for the capabilities ack');
    peer.reply(caps, {});
    const qmp = await p;
    assert.deepEqual(qmp.greeting, GREETING);
    assert.deepEqual(qmp.version, { major: 7, minor: 2, micro: 22 });
    assert.match(peer.written, /^\{"execute":"qmp_capabilities","id":\d+\}\n$/);
    await qmp.close();
  });

  test('no greeting within timeoutMs rejects with a timeout naming the greeting, and destroys the stream', async () => {
    const peer = new FakeQmpPeer();
    await assert.rejects(QmpClient.connect(peer.stream, { timeoutMs: 50, label: 'primary' }), (err: unknown) => {
      assert.ok(err instanceof QmpTimeoutError);
      assert.ok(err instanceof QmpConnectionError);
      assert.match(err.message, /handshake \[primary\] timed out after 50 ms: no greeting/);
      return true;
    });
    assert.equal(peer.stream.destroyed, true);
  });

  test('capabilities refused rejects connect with the QEMU error', async () => {
    const peer = new FakeQmpPeer();
    peer.autoCapabilities = false;
    peer.handler = (m, pr) => pr.replyError(m, 'CommandNotFound', 'Capabilities negotiation is already complete');
    const p = QmpClient.connect(peer.stream, { timeoutMs: 1000 });
    peer.greet();
    await assert.rejects(p, /Capabilities negotiation is already complete/);
  });

  test('a garbage first line fails connect with the received text', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream, { timeoutMs: 1000 });
    peer.raw('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof QmpConnectionError);
      assert.match(err.message, /not JSON: "SSH-2\.0-OpenSSH_9\.2p1 Debian-2\+deb12u3"/);
      return true;
    });
  });

  test('an event before the greeting (QEMU 7.2 can send one mid-checkpoint) is skipped', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream, { timeoutMs: 1000 });
    peer.event('STOP');
    peer.greet();
    const qmp = await p;
    assert.deepEqual(qmp.greeting, GREETING);
    assert.deepEqual(qmp.recentEvents(), [], 'the early event is not reported as one of this session');
  });

  test('an event but no greeting still times out naming the greeting', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream, { timeoutMs: 100 });
    peer.event('RESUME');
    await assert.rejects(p, /timed out after 100 ms: no greeting/);
  });

  test('JSON before the greeting that is neither a greeting nor an event is refused', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream, { timeoutMs: 1000 });
    peer.raw('{"return": {}}\r\n');
    await assert.rejects(p, /something other than a QMP greeting: .*return/);
  });

  test('the stream closing before the greeting rejects connect', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream, { timeoutMs: 1000 });
    peer.end();
    await assert.rejects(p, /QMP connection closed: the peer ended the stream/);
  });
});

describe('QmpClient execute', () => {
  test('replies are matched by id, not order, with events interleaved', async () => {
    const { peer, qmp } = await connected();
    const events: QmpEventRecord[] = [];
    qmp.on('event', (e) => events.push(e));
    const a = qmp.execute('query-status');
    const b = qmp.execute('query-name');
    const c = qmp.execute<{ x: number }>('query-x', { verbose: true });
    const [ma, mb, mc] = await peer.waitFor(undefined, 4).then((all) => all.slice(1));
    assert.ok(ma && mb && mc);
    assert.deepEqual(mc.arguments, { verbose: true });
    assert.equal(new Set([ma.id, mb.id, mc.id]).size, 3, 'ids are unique');
    peer.event('STOP');
    peer.reply(mc, { x: 3 });
    peer.event('RESUME', { reason: 'test' });
    peer.reply(ma, { status: 'running' });
    peer.event('NIC_RX_FILTER_CHANGED');
    peer.reply(mb, { name: 'vm1' });
    assert.deepEqual(await a, { status: 'running' });
    assert.deepEqual(await b, { name: 'vm1' });
    assert.deepEqual(await c, { x: 3 });
    assert.deepEqual(
      events.map((e) => [e.seq, e.event]),
      [
        [1, 'STOP'],
        [2, 'RESUME'],
        [3, 'NIC_RX_FILTER_CHANGED'],
      ],
    );
    assert.deepEqual(events[1]?.data, { reason: 'test' });
    assert.deepEqual(events[1]?.timestamp, { seconds: 1, microseconds: 2 });
    assert.equal(qmp.eventSeq, 3);
    await qmp.close();
  });

  test('an error reply rejects QmpError with command, class and desc; other calls are unaffected', async () => {
    const { peer, qmp } = await connected();
    const bad = qmp.execute('x-colo-lost-heartbeat');
    const good = qmp.execute('query-status');
    const [, mBad, mGood] = await peer.waitFor(undefined, 3);
    assert.ok(mBad && mGood);
    peer.replyError(mBad, 'GenericError', 'VM is not in COLO mode');
    peer.reply(mGood, { status: 'running' });
    await assert.rejects(bad, (err: unknown) => {
      assert.ok(err instanceof QmpError);
      assert.equal(err.command, 'x-colo-lost-heartbeat');
      assert.equal(err.errorClass, 'GenericError');
      assert.equal(err.desc, 'VM is not in COLO mode');
      assert.equal(err.message, 'x-colo-lost-heartbeat: GenericError: VM is not in COLO mode');
      return true;
    });
    assert.deepEqual(await good, { status: 'running' });
    await qmp.close();
  });

  test('per-call timeout rejects naming command and timeout; the late reply is dropped silently', async () => {
    const { peer, qmp } = await connected({ label: 'secondary' });
    const started = Date.now();
    const slow = qmp.execute('migrate', { uri: 'tcp:127.0.0.12:9998' }, { timeoutMs: 60 });
    const [, mSlow] = await peer.waitFor(undefined, 2);
    assert.ok(mSlow);
    await assert.rejects(slow, (err: unknown) => {
      assert.ok(err instanceof QmpTimeoutError);
      assert.ok(err instanceof QmpConnectionError);
      assert.equal(err.what, 'migrate');
      assert.equal(err.timeoutMs, 60);
      assert.equal(err.message, 'QMP command migrate [secondary] timed out after 60 ms');
      return true;
    });
    assert.ok(Date.now() - started >= 55);
    // late reply for the timed-out id, then a normal call: the connection stays usable
    peer.reply(mSlow, {});
    const next = qmp.execute('query-status');
    const [, , mNext] = await peer.waitFor(undefined, 3);
    assert.ok(mNext);
    assert.notEqual(mNext.id, mSlow.id);
    peer.reply(mNext, { status: 'running' });
    assert.deepEqual(await next, { status: 'running' });
    assert.equal(qmp.closed, false);
    await qmp.close();
  });

  test('default call timeout from connect options applies', async () => {
    const { qmp } = await connected({ callTimeoutMs: 40 });
    await assert.rejects(qmp.execute('query-hang'), /QMP command query-hang timed out after 40 ms/);
    await qmp.close();
  });

  test('stream closed mid-call rejects every pending call and event waiter, and later calls', async () => {
    const { peer, qmp } = await connected({ label: 'primary 127.0.0.11' });
    const closes: Array<{ expected: boolean; error: Error }> = [];
    qmp.on('close', (i) => closes.push(i));
    const a = qmp.execute('query-status');
    const b = qmp.execute('migrate', { uri: 'x' });
    const w = qmp.waitForEvent('COLO_EXIT', undefined, { timeoutMs: 5000 });
    await peer.waitFor(undefined, 3);
    peer.end();
    for (const [p, cmd] of [
      [a, 'query-status'],
      [b, 'migrate'],
    ] as const) {
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof QmpConnectionError);
        assert.ok(!(err instanceof QmpTimeoutError));
        assert.equal(
          err.message,
          `QMP connection closed [primary 127.0.0.11]: the peer ended the stream; ${cmd} got no reply`,
        );
        return true;
      });
    }
    await assert.rejects(w, /^QmpConnectionError: QMP connection closed .*; was waiting for event COLO_EXIT$/);
    assert.equal(qmp.closed, true);
    await assert.rejects(qmp.execute('query-status'), /QMP connection closed .*cannot send query-status/);
    await assert.rejects(qmp.waitForEvent('RESUME'), /QMP connection closed/);
    assert.equal(closes.length, 1);
    assert.equal(closes[0]?.expected, false);
  });

  test('a stream error rejects pending calls with the error message', async () => {
    const { peer, qmp } = await connected();
    const a = qmp.execute('query-status');
    await peer.waitFor('query-status');
    peer.stream.destroy(new Error('read ECONNRESET'));
    await assert.rejects(a, (err: unknown) => {
      assert.ok(err instanceof QmpConnectionError);
      assert.match(err.message, /^QMP connection closed: read ECONNRESET; query-status got no reply$/);
      return true;
    });
  });

  test('a garbage line fails the connection with what was received, truncated', async () => {
    const { peer, qmp } = await connected();
    const a = qmp.execute('query-status');
    await peer.waitFor('query-status');
    const junk = `Kernel panic - not syncing: ${'x'.repeat(500)}`;
    peer.raw(`${junk}\r\n`);
    await assert.rejects(a, (err: unknown) => {
      assert.ok(err instanceof QmpConnectionError);
      assert.match(
        err.message,
        /sent a line that is not JSON: "Kernel panic - not syncing: x+\.\.\." \(528 chars\); query-status got no reply/,
      );
      assert.ok(err.message.length < 300, `message is truncated (${err.message.length} chars)`);
      return true;
    });
    assert.equal(peer.stream.destroyed, true);
  });

  test('JSON that is not a QMP message is garbage too', async () => {
    const { peer, qmp } = await connected();
    const a = qmp.execute('query-status');
    await peer.waitFor('query-status');
    peer.raw('[1,2,3]\r\n');
    await assert.rejects(a, /JSON that is not a QMP message: "\[1,2,3\]"/);
  });

  test('input split mid-line (byte by byte, through a multi-byte character) and many messages per chunk', async () => {
    const peer = new FakeQmpPeer();
    const p = QmpClient.connect(peer.stream);
    const greeting = Buffer.from(`${JSON.stringify(GREETING)}\r\n`);
    for (let i = 0; i < greeting.length; i += 7) {
      peer.stream.push(greeting.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    const qmp = await p;
    const events: string[] = [];
    qmp.on('event', (e) => events.push(e.event));
    const a = qmp.execute('query-name');
    const b = qmp.execute('query-status');
    const [, ma, mb] = await peer.waitFor(undefined, 3);
    assert.ok(ma && mb);
    // one reply containing "é" (2 bytes in UTF-8), split in the middle of that character
    const replyA = Buffer.from(`{"return": {"name": "vé"}, "id": ${String(ma.id)}}\r\n`);
    const cut = replyA.indexOf(Buffer.from('é')) + 1;
    peer.stream.push(replyA.subarray(0, cut));
    await tick();
    peer.stream.push(replyA.subarray(cut));
    // an event, a reply and another event in one chunk
    peer.raw(
      `{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}\r\n` +
        `{"return": {"status": "paused"}, "id": ${String(mb.id)}}\r\n` +
        `{"event": "RESUME", "timestamp": {"seconds": 2, "microseconds": 0}}\r\n`,
    );
    assert.deepEqual(await a, { name: 'vé' });
    assert.deepEqual(await b, { status: 'paused' });
    assert.deepEqual(events, ['STOP', 'RESUME']);
    await qmp.close();
  });

  test('lines ending in plain \\n and blank lines are accepted', async () => {
    const { peer, qmp } = await connected();
    const a = qmp.execute('query-status');
    const [, m] = await peer.waitFor(undefined, 2);
    assert.ok(m);
    peer.raw(`\r\n\n{"return": 42, "id": ${String(m.id)}}\n`);
    assert.equal(await a, 42);
    await qmp.close();
  });

  test('quit: the peer closing the stream (with or without a reply) is expected', async () => {
    const { peer, qmp } = await connected();
    const closes: Array<{ expected: boolean }> = [];
    qmp.on('close', (i) => closes.push(i));
    const other = qmp.execute('query-status');
    const q = qmp.execute('quit');
    await peer.waitFor('quit');
    peer.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    peer.end(); // QEMU may close before the reply reaches us
    assert.deepEqual(await q, {});
    await assert.rejects(
      other,
      /QMP connection closed: the peer ended the stream \(after quit\); query-status got no reply/,
    );
    assert.deepEqual(
      closes.map((c) => c.expected),
      [true],
    );
    assert.equal(qmp.recentEvents().at(-1)?.event, 'SHUTDOWN');
  });

  test('close() rejects pending calls, ends the stream and is idempotent', async () => {
    const { peer, qmp } = await connected();
    let ended = false;
    peer.stream.on('finish', () => {
      ended = true;
    });
    const a = qmp.execute('query-status');
    await peer.waitFor('query-status');
    const closing = qmp.close();
    await assert.rejects(a, /QMP connection closed by the client; query-status got no reply/);
    peer.end();
    await closing;
    assert.equal(ended, true);
    await qmp.close();
    assert.equal(qmp.closed, true);
  });
});

describe('QmpClient pipelining', () => {
  test('executeAll sends every command before any reply and returns results in order', async () => {
    const { peer, qmp } = await connected();
    let sentBeforeFirstReply = -1;
    peer.handler = (_m, pr) => {
      // reply only once all three arrived, in reverse order
      const cmds = pr.received.slice(1);
      if (cmds.length === 3) {
        sentBeforeFirstReply = cmds.length;
        for (const c of [...cmds].reverse()) pr.reply(c, `r-${String(c.execute)}`);
      }
    };
    const out = await qmp.executeAll<[string, string, string]>([
      { execute: 'query-version' },
      { execute: 'query-commands' },
      { execute: 'query-migrate-capabilities' },
    ]);
    assert.equal(sentBeforeFirstReply, 3);
    assert.deepEqual(out, ['r-query-version', 'r-query-commands', 'r-query-migrate-capabilities']);
    await qmp.close();
  });

  test('executeAll rejects with the first error in command order; executeAllSettled reports each', async () => {
    const { peer, qmp } = await connected();
    peer.handler = (m, pr) => {
      if (m.execute === 'b' || m.execute === 'c') pr.replyError(m, 'GenericError', `no ${String(m.execute)}`);
      else pr.reply(m, 1);
    };
    const cmds = [{ execute: 'a' }, { execute: 'b' }, { execute: 'c' }];
    await assert.rejects(qmp.executeAll(cmds), (e: unknown) => e instanceof QmpError && e.command === 'b');
    const settled = await qmp.executeAllSettled(cmds);
    assert.deepEqual(
      settled.map((s) => (s.ok ? s.value : s.error.message)),
      [1, 'b: GenericError: no b', 'c: GenericError: no c'],
    );
    await qmp.close();
  });

  test('executeSequence waits for each reply and stops at the first error', async () => {
    const { peer, qmp } = await connected();
    const seenAtReply: number[] = [];
    peer.handler = (m, pr) => {
      seenAtReply.push(pr.received.length - 1);
      setTimeout(() => {
        if (m.execute === 'object-add') pr.replyError(m, 'GenericError', "Duplicate ID 'comp0' for object");
        else pr.reply(m, {});
      }, 5);
    };
    const done: string[] = [];
    await assert.rejects(
      qmp.executeSequence(
        [
          { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'x-colo', state: true }] } },
          { execute: 'object-add', arguments: { 'qom-type': 'colo-compare', id: 'comp0' } },
          { execute: 'migrate', arguments: { uri: 'tcp:127.0.0.12:9998' } },
        ],
        { onResult: (i, c) => done.push(`${i}:${c.execute}`) },
      ),
      (e: unknown) => e instanceof QmpError && e.command === 'object-add' && /Duplicate ID/.test(e.desc),
    );
    assert.deepEqual(seenAtReply, [1, 2], 'each command was sent only after the previous reply');
    assert.deepEqual(done, ['0:migrate-set-capabilities']);
    assert.equal(
      peer.received.some((m) => m.execute === 'migrate'),
      false,
      'nothing sent after the failure',
    );
    await qmp.close();
  });
});

describe('QmpClient waitForEvent', () => {
  test('without since, only events after the call count; with since, buffered ones too', async () => {
    const { peer, qmp } = await connected();
    const mark = qmp.eventSeq;
    peer.event('RESUME');
    await tick();
    // arrived before the wait started
    const fromBuffer = await qmp.waitForEvent('RESUME', undefined, { since: mark, timeoutMs: 100 });
    assert.equal(fromBuffer.seq, mark + 1);
    await assert.rejects(qmp.waitForEvent('RESUME', undefined, { timeoutMs: 40 }), (e: unknown) => {
      assert.ok(e instanceof QmpTimeoutError);
      assert.equal(e.message, 'QMP event RESUME did not arrive within 40 ms');
      return true;
    });
    // since after the buffered event: waits for a new one
    const later = qmp.waitForEvent('RESUME', undefined, { since: qmp.eventSeq, timeoutMs: 1000 });
    peer.event('RESUME');
    assert.equal((await later).seq, mark + 2);
    await qmp.close();
  });

  test('predicate filters events, and several waiters resolve from one event', async () => {
    const { peer, qmp } = await connected();
    const primary = qmp.waitForEvent('COLO_EXIT', (e) => e.data?.mode === 'primary', { timeoutMs: 1000 });
    const any1 = qmp.waitForEvent('COLO_EXIT', undefined, { timeoutMs: 1000 });
    peer.event('COLO_EXIT', { mode: 'secondary', reason: 'request' });
    peer.event('COLO_EXIT', { mode: 'primary', reason: 'request' });
    assert.deepEqual((await primary).data, { mode: 'primary', reason: 'request' });
    assert.deepEqual((await any1).data, { mode: 'secondary', reason: 'request' });
    await qmp.close();
  });

  test('the ring buffer keeps only the most recent events', async () => {
    const { peer, qmp } = await connected({ eventBufferSize: 3 });
    for (let i = 0; i < 5; i++) peer.event(`E${i}`);
    await tick();
    assert.deepEqual(
      qmp.recentEvents().map((e) => `${e.seq}:${e.event}`),
      ['3:E2', '4:E3', '5:E4'],
    );
    assert.deepEqual(
      qmp.recentEvents(4).map((e) => e.event),
      ['E4'],
    );
    await assert.rejects(qmp.waitForEvent('E0', undefined, { since: 0, timeoutMs: 30 }), QmpTimeoutError);
    await qmp.close();
  });

  test('a throwing event listener does not break the client', async () => {
    const { peer, qmp } = await connected();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => {
      uncaught.push(e);
    };
    const saved = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      qmp.on('event', () => {
        throw new Error('listener bug');
      });
      const a = qmp.execute('query-status');
      const [, m] = await peer.waitFor(undefined, 2);
      assert.ok(m);
      peer.raw(`{"event":"STOP"}\r\n{"return":{"status":"paused"},"id":${String(m.id)}}\r\n`);
      assert.deepEqual(await a, { status: 'paused' });
      await tick();
      assert.equal((uncaught[0] as Error | undefined)?.message, 'listener bug');
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of saved) process.on('uncaughtException', l);
    }
    await qmp.close();
  });
});

describe('QmpClient over a real unix socket', () => {
  test('peer destroying the socket mid-call rejects the call', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'colo-qmp-'));
    const sockPath = path.join(dir, 'q.sock');
    const server = net.createServer((sock) => {
      sock.write(`${JSON.stringify(GREETING)}\r\n`);
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as { execute: string; id: number };
          buf = buf.slice(nl + 1);
          if (msg.execute === 'qmp_capabilities') sock.write(`{"return": {}, "id": ${msg.id}}\r\n`);
          else if (msg.execute === 'query-status')
            sock.write(`{"return": {"status": "prelaunch"}, "id": ${msg.id}}\r\n`);
          else sock.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(sockPath, resolve));
    try {
      const qmp = await QmpClient.connect(net.createConnection(sockPath), { timeoutMs: 2000 });
      assert.deepEqual(await qmp.execute('query-status'), { status: 'prelaunch' });
      await assert.rejects(
        qmp.execute('migrate'),
        (e: unknown) =>
          e instanceof QmpConnectionError && /^QMP connection closed: .*migrate got no reply$/.test(e.message),
      );
      await qmp.close();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
