import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointWaitMs } from '../../../src/engine/verify.ts';

describe('verify: how long to wait for a checkpoint', () => {
  test("2 x the interval + 5 s when the running interval is the spec's", () => {
    assert.equal(checkpointWaitMs(2000, 2000), 9000);
  });

  test("the spec's interval when QEMU did not report one", () => {
    assert.equal(checkpointWaitMs(undefined, 3000), 11_000);
  });

  test(
    'an interval raised outside colo does not stretch the wait (the counter has stopped as far as the ' + 'spec goes)',
    () => {
      assert.equal(checkpointWaitMs(600_000, 2000), 9000);
    },
  );

  test("a running interval shorter than the spec's is waited for at its own rate", () => {
    assert.equal(checkpointWaitMs(1000, 2000), 7000);
  });

  test('at most 120 s', () => {
    assert.equal(checkpointWaitMs(600_000, 600_000), 120_000);
    assert.equal(checkpointWaitMs(undefined, 100_000), 120_000);
  });
});
