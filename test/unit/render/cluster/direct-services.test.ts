/**
 * The `cluster.services: direct` script (src/render/cluster/direct-services.ts): its argv and recipe,
 * the status parser, and the script itself run by a real /bin/sh (it parses; `status` with no daemon
 * of colo's running says both are stopped; an unknown action exits 2). Starting real daemons is
 * test/integration/cluster-lab.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  directServicesArgv,
  parseDirectStatus,
  renderDirectServices,
} from '../../../../src/render/cluster/direct-services.ts';

describe('direct cluster services', () => {
  it('is one fixed script whose values are positional parameters', () => {
    const a = directServicesArgv('start', { startTimeoutS: 20, stopTimeoutS: 60 });
    assert.deepEqual([a[0], a[1], a[3], a[4], a[5], a[6]], ['sh', '-c', 'colo-cluster-services', 'start', '20', '60']);
    assert.equal(directServicesArgv('stop')[2], a[2]);
    assert.throws(() => directServicesArgv('start', { startTimeoutS: 0 }));
    assert.throws(() => directServicesArgv('start', { stopTimeoutS: 1.5 }));
  });

  it('renders a recipe per action with a timeout beyond its own waits', () => {
    const r = renderDirectServices('alpha', 'start', { startTimeoutS: 20 });
    assert.equal(r.host, 'alpha');
    assert.equal(r.body.kind, 'script');
    assert.ok(r.timeoutMs > 2 * 20_000);
    assert.deepEqual(renderDirectServices('alpha', 'status').outcome, { kind: 'output' });
    assert.deepEqual(renderDirectServices('alpha', 'stop').outcome, { kind: 'exit-zero' });
  });

  it('parses status lines and refuses other output', () => {
    assert.deepEqual(parseDirectStatus('corosync=running pid=12\npacemakerd=unresponsive pid=-\n'), {
      corosync: { state: 'running', pid: 12 },
      pacemakerd: { state: 'unresponsive' },
    });
    assert.throws(() => parseDirectStatus('corosync=running pid=1\n'), /unexpected/);
    assert.throws(() => parseDirectStatus('Permission denied'), /unexpected/);
  });

  it('runs in a real sh: status says stopped when no daemon of colo runs here; bad action exits 2', () => {
    const [cmd, ...args] = directServicesArgv('status');
    const r = spawnSync(cmd as string, args, { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const s = parseDirectStatus(r.stdout);
    // this machine runs no corosync of its own (the lab's run in their own namespaces)
    assert.equal(s.corosync.state, 'stopped');
    assert.equal(s.pacemakerd.state, 'stopped');
    const [c2, ...a2] = directServicesArgv('status');
    const bad = spawnSync(c2 as string, [...a2.slice(0, 3), 'restart', ...a2.slice(4)], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown action restart/);
  });
});
