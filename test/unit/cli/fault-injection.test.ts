/** The fault-injection test hook (src/cli/fault-injection.ts): off unless asked for twice, exact when on. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { faultHook, faultRequestFrom, type FaultEffects } from '../../../src/cli/fault-injection.ts';
import { UserError } from '../../../src/cli/user-error.ts';

describe('faultRequestFrom', () => {
  test('nothing asked: no hook, no warning', () => {
    const warned: string[] = [];
    assert.equal(
      faultRequestFrom({}, (l) => warned.push(l)),
      undefined,
    );
    assert.deepEqual(warned, []);
  });
  test('without COLO_TEST_HOOKS=1 the fault variables are ignored, with a warning', () => {
    for (const on of [undefined, '0', 'true', 'yes']) {
      const warned: string[] = [];
      const env = { COLO_FAULT_AFTER_STEP: 'colo-start', COLO_FAULT: 'kill-self', COLO_TEST_HOOKS: on };
      assert.equal(
        faultRequestFrom(env, (l) => warned.push(l)),
        undefined,
      );
      assert.match(warned.join('\n'), /test hooks and are ignored unless COLO_TEST_HOOKS=1/);
    }
  });
  test('a step, an occurrence and an action', () => {
    const env = { COLO_TEST_HOOKS: '1', COLO_FAULT_AFTER_STEP: 'host-prepare:2', COLO_FAULT: 'pause' };
    assert.deepEqual(faultRequestFrom(env), { step: 'host-prepare', occurrence: 2, action: 'pause' });
    const one = { COLO_TEST_HOOKS: '1', COLO_FAULT_AFTER_STEP: 'fence', COLO_FAULT: 'kill-self' };
    assert.deepEqual(faultRequestFrom(one), { step: 'fence', occurrence: 1, action: 'kill-self' });
  });
  test('bad values are refused, naming the variable', () => {
    const bad = [
      [{ COLO_FAULT_AFTER_STEP: 'colo-start:0', COLO_FAULT: 'pause' }, /COLO_FAULT_AFTER_STEP="colo-start:0"/],
      [{ COLO_FAULT_AFTER_STEP: '', COLO_FAULT: 'pause' }, /COLO_FAULT_AFTER_STEP="": expected <step>/],
      [{ COLO_FAULT: 'pause' }, /COLO_FAULT_AFTER_STEP="": expected/],
      [{ COLO_FAULT_AFTER_STEP: 'colo-start' }, /COLO_FAULT="": expected one of kill-self, pause/],
      [{ COLO_FAULT_AFTER_STEP: 'colo-start', COLO_FAULT: 'explode' }, /COLO_FAULT="explode"/],
    ] as const;
    for (const [env, msg] of bad) {
      assert.throws(
        () => faultRequestFrom({ COLO_TEST_HOOKS: '1', ...env }),
        (e: unknown) => e instanceof UserError && msg.test(e.message),
      );
    }
  });
});

function recorder() {
  const said: string[] = [];
  let killed = 0;
  let resume: () => void = () => undefined;
  const fx: FaultEffects = {
    killSelf: () => void killed++,
    say: (l) => void said.push(l),
    waitForResume: () => new Promise<void>((r) => (resume = r)),
  };
  return { fx, said, killed: () => killed, resume: () => resume() };
}

describe('faultHook', () => {
  test('pauses only at the n-th completion of its step, until resumed', async () => {
    const r = recorder();
    const hook = faultHook({ step: 'host-prepare', occurrence: 2, action: 'pause' }, r.fx);
    await hook({ step: 'host-prepare', host: 'alpha', address: 'host.alpha' });
    await hook({ step: 'primary-start', host: 'alpha', address: 'vm.web.primary' });
    assert.deepEqual(r.said, []);
    let done = false;
    const second = hook({ step: 'host-prepare', host: 'beta', address: 'host.beta' }).then(() => (done = true));
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(done, false, 'the hook returned before it was resumed');
    assert.match(
      r.said[0]!,
      /^colo test hook: paused after host-prepare:2 \(host\.beta on beta\), pid \d+; send SIGUSR2/,
    );
    r.resume();
    await second;
    assert.match(r.said[1]!, /resumed after host-prepare:2/);
    await hook({ step: 'host-prepare', host: 'gamma', address: 'host.gamma' }); // a third: nothing
    assert.equal(r.said.length, 2);
    assert.equal(r.killed(), 0);
  });
  test('kill-self kills and never returns', async () => {
    const r = recorder();
    const hook = faultHook({ step: 'fence', occurrence: 1, action: 'kill-self' }, r.fx);
    let returned = false;
    void hook({ step: 'fence', host: 'alpha', address: 'vm.web.primary' }).then(() => (returned = true));
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(r.killed(), 1);
    assert.equal(returned, false);
    assert.match(r.said[0]!, /killing myself \(SIGKILL\) after fence:1 \(vm\.web\.primary on alpha\)/);
  });
});
