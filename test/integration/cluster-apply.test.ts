/**
 * plan/apply own the cluster (issue #13 item 2), on the netns lab's real hosts (`lab up --cluster`):
 * the first plan shows the cluster's host changes (files, authkey, start) and the fresh CIB; apply
 * writes corosync.conf, the spec copy and fence_colo, one authkey (0400, identical on both hosts,
 * never in colo's output), starts corosync + pacemaker (`services: direct`), waits until the cluster
 * has formed and reconciles the CIB (properties, the pair's clone held Stopped, fence devices started);
 * a second plan has no changes; a property changed by hand (crm_attribute) is drift that apply
 * repairs. Root and the cluster packages, else skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { colo } from '../helpers/cli.ts';
import { netnsSkipReason } from '../helpers/netns-pair.ts';
import { missingClusterPackages } from '../../src/lab/netns/lab-cluster.ts';
import { hostRootDir } from '../../src/lab/netns/host-root.ts';
import type { NetnsLabInfo } from '../../src/lab/netns/netns-lab-info.ts';
import { parseClusterStatus, promotedNode } from '../../src/plan/cluster-status.ts';
import { parseObservedCib } from '../../src/plan/cib-observed.ts';

type Host = 'alpha' | 'beta';
const missing = missingClusterPackages();
const skip = netnsSkipReason() || (missing.length ? `the cluster packages are missing: ${missing.join(', ')}` : false);

describe('plan/apply own the cluster', { skip, timeout: 900_000 }, () => {
  let parent = '';
  let dir = '';
  let spec = '';
  let info: NetnsLabInfo;
  const outputs: string[] = [];

  after(async () => {
    if (dir) await colo(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  /** An argv in a host's namespaces (those of its sshd), as the host's own daemons see them. */
  function onHost(host: Host, argv: string[]): string {
    const h = info.hosts!.find((x) => x.name === host)!;
    const pid = readFileSync(h.sshd.pidFile, 'utf8').trim();
    return execFileSync('nsenter', ['-t', pid, '-n', '-m', ...argv], { encoding: 'utf8', timeout: 20_000 });
  }

  async function run(args: string[], timeoutMs = 600_000) {
    const r = await colo(args, { timeoutMs });
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  test('lab up --cluster', async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'colo-cluster-apply-'));
    dir = path.join(parent, 'lab');
    const up = await colo(['lab', 'up', '--network', 'netns', '--cluster', '--dir', dir], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    info = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as NetnsLabInfo;
    spec = info.specFile!;
  });

  test('the first plan shows the cluster: files, authkey, start, the CIB a fresh cluster needs', async () => {
    const r = await run(['plan', '-f', spec, '--json', '--sample', '0s']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as {
      clusters: {
        name: string;
        refusals: string[];
        cib_observed: boolean;
        host_changes: { host: string; kind: string }[];
        cib_changes: { address: string }[];
      }[];
      changes: boolean;
    };
    assert.equal(doc.clusters.length, 1);
    const c = doc.clusters[0]!;
    assert.deepEqual(c.refusals, []);
    assert.equal(c.cib_observed, false);
    for (const h of ['alpha', 'beta']) {
      const kinds = c.host_changes.filter((x) => x.host === h).map((x) => x.kind);
      assert.ok(kinds.includes('authkey') && kinds.includes('services') && kinds.includes('file'), kinds.join(','));
    }
    assert.ok(c.cib_changes.some((x) => x.address === 'resource.colo-web-clone'));
    const human = await run(['plan', '-f', spec, '--sample', '0s']);
    assert.match(human.stdout, /# cluster lab-alpha \(alpha, beta\)/);
    assert.match(human.stdout, /\+ alpha: \/etc\/corosync\/authkey/);
  });

  test('apply forms the cluster and reconciles the CIB; the authkey is 0400, shared, never shown', async () => {
    const t0 = performance.now();
    const r = await run(['apply', '-f', spec, '--auto-approve', '--json']);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ev = r.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            cluster?: { started: string[]; authkey_written: boolean; formation_ms: number; cib_changes: unknown[] };
          },
      )
      .find((e) => e.type === 'cluster_applied');
    assert.ok(ev?.cluster, r.stdout);
    assert.deepEqual(ev.cluster.started.sort(), ['alpha', 'beta']);
    assert.equal(ev.cluster.authkey_written, true);
    assert.ok(ev.cluster.cib_changes.length >= 10);
    process.stdout.write(`# cluster apply: formation ${ev.cluster.formation_ms} ms, whole apply ${ms.toFixed(0)} ms\n`);

    const keys = (['alpha', 'beta'] as const).map((h) => path.join(hostRootDir(dir, h), 'etc-corosync', 'authkey'));
    const [a, b] = keys.map((k) => readFileSync(k));
    assert.equal(a!.length, 256);
    assert.ok(a!.equals(b!), 'both hosts have the same key');
    for (const k of keys) assert.equal(statSync(k).mode & 0o777, 0o400);
    const all = outputs.join('\n');
    for (const enc of ['hex', 'base64'] as const) assert.ok(!all.includes(a!.toString(enc).slice(0, 24)), enc);

    const s = parseClusterStatus(onHost('beta', ['crm_mon', '-1', '--output-as=xml']));
    assert.equal(s.quorate, true);
    assert.deepEqual(
      s.nodes
        .filter((n) => n.online)
        .map((n) => n.name)
        .sort(),
      ['alpha', 'beta'],
    );
    assert.equal(promotedNode(s, 'colo-web-clone'), undefined, 'held Stopped until the agent exists');
    const cib = parseObservedCib(onHost('alpha', ['cibadmin', '-Q']));
    assert.equal(cib.properties['stonith-enabled'], 'true');
    assert.equal(cib.properties['dc-deadtime'], '2s');
    const clone = cib.resources.find((x) => x.id === 'colo-web-clone');
    assert.ok(clone?.kind === 'clone' && clone.meta['target-role'] === 'Stopped');
    assert.equal(onHost('alpha', ['cat', '/etc/colo/colo.yaml']), readFileSync(spec, 'utf8'));
  });

  test('a second plan shows no changes', async () => {
    const r = await run(['plan', '-f', spec, '--detailed-exitcode', '--sample', '0s']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /No changes\./);
  });

  test('a property changed by hand is drift; apply repairs it', async () => {
    onHost('alpha', ['crm_attribute', '--type', 'crm_config', '--name', 'no-quorum-policy', '--update', 'ignore']);
    const r = await run(['plan', '-f', spec, '--detailed-exitcode', '--sample', '0s']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /Objects have changed outside of colo/);
    assert.match(
      r.stdout,
      /cluster\.lab-alpha\.property\.no-quorum-policy: changed outside colo: ignore, the spec wants freeze/,
    );
    assert.match(r.stdout, /~ cib property\.no-quorum-policy = ignore -> freeze/);
    const a = await run(['apply', '-f', spec, '--auto-approve']);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.match(a.stdout, /Cluster lab-alpha: 0 files written, 1 CIB change\./);
    const q = onHost('beta', ['crm_attribute', '--type', 'crm_config', '--name', 'no-quorum-policy', '--query']);
    assert.match(q, /value=freeze/);
    const again = await run(['plan', '-f', spec, '--detailed-exitcode', '--sample', '0s']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });
});
