/** src/cli/parse-duration.ts: durations of CLI flags ("30s", "500ms", "2m"). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/cli/parse-duration.ts';
import { UserError } from '../../../src/cli/user-error.ts';

describe('parseDuration', () => {
  test('units and the seconds default', () => {
    assert.equal(parseDuration('500ms', '--timeout'), 500);
    assert.equal(parseDuration('30s', '--timeout'), 30_000);
    assert.equal(parseDuration('2m', '--timeout'), 120_000);
    assert.equal(parseDuration('1h', '--timeout'), 3_600_000);
    assert.equal(parseDuration('45', '--timeout'), 45_000);
    assert.equal(parseDuration('0', '--timeout'), 0);
  });

  test('fractions round to whole milliseconds; surrounding spaces are ignored', () => {
    assert.equal(parseDuration('1.5s', '--timeout'), 1500);
    assert.equal(parseDuration('0.25m', '--timeout'), 15_000);
    assert.equal(parseDuration('2.6ms', '--timeout'), 3);
    assert.equal(parseDuration('  10s \n', '--timeout'), 10_000);
  });

  test('anything else is a UserError naming the flag and the text', () => {
    for (const bad of ['', 'abc', '-1s', '1 s', '10S', '1d', '1.s', '.5s', '1e3', '10sec', 's']) {
      assert.throws(
        () => parseDuration(bad, '--wait'),
        (err: Error) =>
          err instanceof UserError && err.message === `--wait: "${bad}" is not a duration (examples: 500ms, 30s, 2m)`,
        JSON.stringify(bad),
      );
    }
  });
});
