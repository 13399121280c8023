import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from '../../../src/transport/semaphore.ts';
import { shortCommand, withDeadline } from '../../../src/transport/deadline.ts';
import { parsePidFile } from '../../../src/transport/pid-file.ts';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Semaphore', () => {
  test('caps concurrency and wakes waiters in order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const release = await s.acquire();
        order.push(i);
        active++;
        peak = Math.max(peak, active);
        await tick(10);
        active--;
        release();
        release(); // idempotent
      }),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(s.inUse, 0);
  });
  test('an aborted waiter leaves the queue without taking a slot', async () => {
    const s = new Semaphore(1);
    const r1 = await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire(ac.signal);
    ac.abort(new Error('gave up'));
    await assert.rejects(waiting, /gave up/);
    r1();
    assert.equal(s.inUse, 0);
    const r2 = await s.acquire();
    assert.equal(s.inUse, 1);
    r2();
  });
  test('rejects bad limits', () => {
    assert.throws(() => new Semaphore(0), /positive integer/);
  });
});

describe('withDeadline', () => {
  test('returns the body result in time', async () => {
    assert.equal(
      await withDeadline(
        1000,
        () => new Error('late'),
        async () => 42,
      ),
      42,
    );
  });
  test('rejects with the timeout error and aborts the body signal', async () => {
    let aborted: unknown;
    await assert.rejects(
      withDeadline(
        50,
        () => new Error('too slow'),
        (signal) => {
          signal.addEventListener('abort', () => (aborted = signal.reason));
          return new Promise((_, reject) => setTimeout(() => reject(new Error('late failure is not unhandled')), 100));
        },
      ),
      /too slow/,
    );
    assert.match(String(aborted), /too slow/);
    await tick(80); // the body's late rejection must not surface as unhandled
  });
});

describe('helpers', () => {
  test('parsePidFile', () => {
    assert.equal(parsePidFile('1234\n'), 1234);
    assert.equal(parsePidFile('  77 '), 77);
    assert.equal(parsePidFile(''), null);
    assert.equal(parsePidFile('0'), null);
    assert.equal(parsePidFile('12a'), null);
    assert.equal(parsePidFile('-5'), null);
  });
  test('shortCommand', () => {
    assert.equal(shortCommand('a\nb'), 'a\\nb');
    assert.equal(shortCommand('x'.repeat(200), 10), `${'x'.repeat(10)}…`);
  });
});
