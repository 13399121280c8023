/**
 * `colo graph` renderings (src/ui/views/graph/graph-text.ts, src/ui/views/graph/graph-dot.ts):
 * golden files for every examples/*.yaml under test/fixtures/golden/graph/ (`npm run golden:update`
 * rewrites them), DOT syntax checks (no graphviz here: braces, quotes, statements, unique node ids,
 * edges between declared nodes), and the names, ports and paths the graph shows coming from
 * src/render.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ColoState, VmState } from '../../../src/plan/state-model.ts';
import type { Spec } from '../../../src/spec/types.ts';
import { renderGraphText } from '../../../src/ui/views/graph/graph-text.ts';
import { dotString, renderGraphDot } from '../../../src/ui/views/graph/graph-dot.ts';
import { specGraph } from '../../../src/ui/views/graph/graph-model.ts';
import { diskIds, nicIds } from '../../../src/render/ids.ts';
import { vmPaths } from '../../../src/render/paths.ts';
import { EXAMPLES_DIR, labSpec, loadExample } from '../render/spec-fixtures.ts';
import { expectGolden } from '../../helpers/golden.ts';

const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function vmState(primaryHost: string, secondaryHost: string, o: Partial<VmState> = {}): VmState {
  return {
    primaryHost,
    secondaryHost,
    primaryOrigin: 'promoted-secondary',
    status: 'degraded',
    started: {},
    created: {},
    ...o,
  };
}

function stateOf(vms: Record<string, VmState>): ColoState {
  return { version: 1, lineage: '8d0b7a52-3c1e-4f43-9a57-0f6a1c2b9e10', serial: 3, coloVersion: '0.1.0', vms };
}

/**
 * A small DOT checker: braces and brackets balance outside strings, every string closes on its
 * line, every statement ends with ; or opens/closes a block, node ids are unique, and every edge
 * joins declared nodes. Returns the declared node ids and the edges.
 */
function checkDot(dot: string): { nodes: string[]; edges: [string, string][] } {
  const lines = dot.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  let depth = 0;
  let brackets = 0;
  const nodes: string[] = [];
  const edges: [string, string][] = [];
  const str = '"((?:[^"\\\\]|\\\\.)*)"';
  const nodeRe = new RegExp(`^\\s*${str} \\[`);
  const edgeRe = new RegExp(`^\\s*${str} -> ${str}(?: \\[|;)`);
  lines.forEach((line, n) => {
    const where = `line ${n + 1}: ${line}`;
    if (/^\s*\/\//.test(line) || line.trim() === '') return;
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
      else if (c === '[') brackets++;
      else if (c === ']') brackets--;
      assert.ok(depth >= 0 && brackets >= 0, `closes more than it opened, ${where}`);
    }
    assert.equal(inString, false, `string not closed, ${where}`);
    assert.equal(brackets, 0, `attribute list not closed on its line, ${where}`);
    assert.ok(/(;|\{|\})$/.test(line), `statement not terminated, ${where}`);
    const e = edgeRe.exec(line);
    if (e) edges.push([e[1]!, e[2]!]);
    else {
      const m = nodeRe.exec(line);
      if (m) nodes.push(m[1]!);
    }
  });
  assert.equal(depth, 0, 'braces balance');
  assert.ok(lines[0]!.startsWith('//') && lines[1] === 'digraph colo {' && lines.at(-1) === '}', 'one digraph');
  assert.deepEqual(
    nodes.filter((id, i) => nodes.indexOf(id) !== i),
    [],
    'node ids are unique',
  );
  for (const [a, b] of edges) {
    assert.ok(nodes.includes(a), `edge from an undeclared node ${a}`);
    assert.ok(nodes.includes(b), `edge to an undeclared node ${b}`);
  }
  return { nodes, edges };
}

describe('graph goldens for examples/*.yaml', () => {
  test('there are examples to pin', () => {
    assert.ok(examples.length >= 3, `expected at least 3 examples, found ${examples.join(', ')}`);
  });

  for (const file of examples) {
    const name = path.basename(file, '.yaml');
    test(`${file}: text`, async () => {
      await expectGolden(`graph/${name}.txt`, renderGraphText(await loadExample(file), null));
    });
    test(`${file}: dot`, async () => {
      await expectGolden(`graph/${name}.dot`, renderGraphDot(await loadExample(file), null));
    });
  }

  test('pair.yaml after a failover to beta (roles from the state): text and dot', async () => {
    const st = stateOf({ web: vmState('beta', 'alpha') });
    const spec = await loadExample('pair.yaml');
    await expectGolden('graph/pair-failed-over.txt', renderGraphText(spec, st));
    await expectGolden('graph/pair-failed-over.dot', renderGraphDot(spec, st));
  });
});

describe('graph-dot: syntax', () => {
  for (const file of examples) {
    test(`${file}: balanced, terminated, unique node ids, edges between declared nodes`, async () => {
      const spec = await loadExample(file);
      const { nodes, edges } = checkDot(renderGraphDot(spec, null));
      // per pair: 2 QEMUs + 2 x disks + 2 x NICs; per pair: 2 edges per disk and NIC inside the
      // hosts, NBD per disk, one migration, mirror and compare per NIC between them
      const perPair = spec.vms.map((v) => ({
        nodes: 2 + 2 * v.disks.length + 2 * v.netdevs.length,
        edges: 2 * (v.disks.length + v.netdevs.length) + v.disks.length + 1 + 2 * v.netdevs.length,
      }));
      const unused = Object.keys(spec.hosts).filter(
        (h) => !spec.vms.some((v) => v.primary === h || v.secondary === h),
      ).length;
      assert.equal(nodes.length, perPair.reduce((a, p) => a + p.nodes, 0) + unused);
      assert.equal(
        edges.length,
        perPair.reduce((a, p) => a + p.edges, 0),
      );
    });
  }

  test('the checker itself rejects broken DOT', () => {
    const ok = '// t\ndigraph colo {\n  "a" [label="x"];\n  "b" [label="y"];\n  "a" -> "b" [label="z"];\n}\n';
    assert.deepEqual(checkDot(ok), { nodes: ['a', 'b'], edges: [['a', 'b']] });
    assert.throws(() => checkDot(ok.replace('\n}\n', '\n')), /braces balance|one digraph/);
    assert.throws(() => checkDot(ok.replace('"b" [label="y"]', '"a" [label="y"]')), /unique/);
    assert.throws(() => checkDot(ok.replace('label="x"', 'label="x')), /string not closed/);
    assert.throws(() => checkDot(ok.replace('"a" -> "b"', '"a" -> "c"')), /undeclared/);
    assert.throws(() => checkDot(ok.replace('[label="z"];', '[label="z"]')), /not terminated/);
  });

  test('one cluster per host, even a host without VMs', () => {
    const spec = labSpec();
    spec.hosts['spare'] = { ...spec.hosts['a']!, name: 'spare', replicationAddress: '127.0.0.13' };
    const dot = renderGraphDot(spec, null);
    checkDot(dot);
    const clusters = dot.split('\n').filter((l) => l.startsWith('  subgraph "cluster_host_'));
    assert.deepEqual(clusters, [
      '  subgraph "cluster_host_a" {',
      '  subgraph "cluster_host_b" {',
      '  subgraph "cluster_host_spare" {',
    ]);
    assert.ok(dot.includes('"host:spare" [label="no VM", shape=plaintext];'));
  });

  test('quotes, backslashes and newlines in values are escaped', () => {
    assert.equal(dotString('a"b\\c\nd'), '"a\\"b\\\\c d"');
    const spec: Spec = labSpec();
    const vm = spec.vms[0]!;
    spec.vms[0] = { ...vm, disks: [{ ...vm.disks[0]!, image: '/srv/odd "dir"\\x/disk0.qcow2' }] };
    spec.hosts['a'] = { ...spec.hosts['a']!, workDir: '/tmp/a "b"' };
    const dot = renderGraphDot(spec, null);
    checkDot(dot);
    assert.ok(dot.includes('children.0 /srv/odd \\"dir\\"\\\\x/disk0.qcow2 (qcow2)\\l'));
    assert.ok(dot.includes('qmp /tmp/a \\"b\\"/lab/qmp.sock\\l'));
  });

  test('labelled links: NBD, migration, mirror and compare in the direction data flows', async () => {
    const dot = renderGraphDot(await loadExample('pair.yaml'), null);
    const edgeLines = dot.split('\n').filter((l) => / -> "/.test(l) && !l.includes('arrowhead=none'));
    assert.deepEqual(edgeLines, [
      '  "disk:web@alpha:root" -> "disk:web@beta:root" [label="NBD 198.18.0.2:9001\\nnbd-root -> ' +
        'parent-root\\nexport root", color=blue, fontcolor=blue];',
      '  "qemu:web@alpha" -> "qemu:web@beta" [label="migration 198.18.0.2:9000\\nmigrate -> ' +
        '-incoming\\ncheckpoints every 2s", style=bold];',
      '  "nic:web@alpha:lan" -> "nic:web@beta:lan" [label="mirror 198.18.0.1:9002\\nmirror0-lan -> ' +
        'red0-lan\\npackets for the guest, copied", color=darkgreen, fontcolor=darkgreen];',
      '  "nic:web@beta:lan" -> "nic:web@alpha:lan" [label="compare 198.18.0.1:9003\\nred1-lan -> ' +
        'compare1-lan\\nthe secondary\'s output, compared", color=red, fontcolor=red];',
    ]);
  });
});

describe('graph-text: content', () => {
  test('every id, port and path of a pair comes from src/render', async () => {
    const spec = await loadExample('fleet.yaml');
    const text = renderGraphText(spec, null);
    for (const vm of spec.vms) {
      const block = text.slice(text.indexOf(`=== vm ${vm.name}:`)).split('\n=== vm ')[0]!;
      const expected: string[] = [
        `-incoming tcp:${spec.hosts[vm.secondary]!.replicationAddress}:${vm.ports.migration}`,
        `NBD server ${spec.hosts[vm.secondary]!.replicationAddress}:${vm.ports.nbd}`,
      ];
      for (const d of vm.disks) {
        const ids = diskIds(d);
        expected.push(
          ids.quorum,
          ids.device,
          ids.parent,
          ids.childs,
          ids.nbd,
          ids.replication,
          `export ${ids.exportName}`,
          d.image,
        );
      }
      for (const n of vm.netdevs) {
        const { virtioBackendPath: _notShown, ...ids } = nicIds(n);
        expected.push(...Object.values(ids), n.mac, n.model);
      }
      for (const p of vm.ports.nics)
        expected.push(
          `[${spec.hosts[vm.primary]!.replicationAddress}:${p.mirror}]`,
          `[${spec.hosts[vm.primary]!.replicationAddress}:${p.compare}]`,
        );
      const sp = vmPaths(spec, vm, vm.secondary);
      const pp = vmPaths(spec, vm, vm.primary);
      expected.push(
        sp.qmpSocket,
        pp.qmpSocket,
        ...sp.disks.flatMap((d) => [d.base, d.hidden, d.active]),
        ...pp.nics.flatMap((n) => [n.primaryInSocket, n.compareOutSocket]),
      );
      for (const s of expected) assert.ok(block.includes(s), `vm ${vm.name}: "${s}" missing from\n${block}`);
    }
  });

  test('primary: quorum children.0 the image, children.1 replication over NBD to the secondary', async () => {
    const text = renderGraphText(await loadExample('pair.yaml'), null);
    assert.match(
      text,
      new RegExp(
        [
          String.raw`\| disk root: device blk-root \(virtio\), drive colo-root \(quorum\) +\|\n`,
          String.raw`\| {3}children\.0 {2}\/var\/lib\/images\/web\.qcow2 \(qcow2, the disk image\) +\|\n`,
          String.raw`\| {3}children\.1 {2}replication-root \(replication, mode=primary\) +\|\n`,
          String.raw`\| {15}-> nbd-root: NBD client of 198\.18\.0\.2:9001, export root +\|`,
        ].join(''),
      ),
    );
  });

  test('secondary: parent (base) <- hidden <- active, the base exported over NBD', async () => {
    const text = renderGraphText(await loadExample('pair.yaml'), null);
    assert.match(
      text,
      new RegExp(
        [
          String.raw`children\.0 {2}childs-root \(replication, mode=secondary\) +\|\n`,
          String.raw`\| +parent {2}\/var\/lib\/colo\/web\/root-base\.qcow2 \(parent-root, the base\) +\|\n`,
          String.raw`\| +<- hidden {2}\/var\/lib\/colo\/web\/root-hidden\.qcow2 +\|\n`,
          String.raw`\| +<- active {2}\/var\/lib\/colo\/web\/root-active\.qcow2 +\|\n`,
          String.raw`\| {3}NBD export root of parent-root \(writable\)`,
        ].join(''),
      ),
    );
  });

  test('links sit between the two boxes, with direction and listener', async () => {
    const text = renderGraphText(await loadExample('loopback-lab.yaml'), null);
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.includes(' NBD disk0 '));
    assert.ok(lines[i - 1]!.startsWith('+---'), 'after the primary box');
    assert.deepEqual(
      lines.slice(i, i + 4).map((l) => l.replace(/ +/g, ' ')),
      [
        ' v NBD disk0 lab-a nbd-disk0 -> lab-b parent-disk0 [127.0.0.12:9001] export disk0',
        ' v migration lab-a migrate -> lab-b -incoming [127.0.0.12:9000] checkpoints every 2s',
        ' v mirror net0 lab-a mirror0-net0 [127.0.0.11:9002] -> lab-b red0-net0 packets for the guest, copied',
        " ^ compare net0 lab-b red1-net0 -> lab-a compare1-net0 [127.0.0.11:9003] the secondary's output, compared",
      ],
    );
    assert.ok(lines[i + 4]!.startsWith('+-- secondary: lab-b (127.0.0.12) '));
  });

  test("hostForwards on each side bind that host's replication address by default", async () => {
    const text = renderGraphText(await loadExample('loopback-lab.yaml'), null);
    assert.match(text, /\| {3}hostfwd tcp 127\.0\.0\.11:8080 -> guest port 80 +\|/);
    assert.match(text, /\| {3}hostfwd tcp 127\.0\.0\.12:8080 -> guest port 80 +\|/);
  });

  test('boxes are closed rectangles', async () => {
    for (const file of examples) {
      const lines = renderGraphText(await loadExample(file), null).split('\n');
      let width: number | undefined;
      for (const l of lines) {
        if (l.startsWith('+-- ')) width = l.length;
        else if (l.startsWith('|')) {
          assert.equal(l.length, width, `${file}: ${l}`);
          assert.ok(l.endsWith(' |'), `${file}: ${l}`);
        } else if (/^\+-+\+$/.test(l)) {
          assert.equal(l.length, width, `${file}: ${l}`);
          width = undefined;
        }
      }
      assert.ok(!lines.some((l) => l !== l.trimEnd()), `${file}: trailing spaces`);
    }
  });
});

describe('graph: roles and selection', () => {
  test('roles from the state swap the sides; a promoted primary keeps its chain and rewriter', async () => {
    const spec = await loadExample('pair.yaml');
    const g = specGraph(spec, stateOf({ web: vmState('beta', 'alpha') }));
    const p = g.pairs[0]!;
    assert.equal(p.rolesFrom, 'state');
    assert.equal(p.status, 'degraded');
    assert.equal(p.primary.host, 'beta');
    assert.equal(p.primary.startedAs, 'secondary');
    assert.equal(p.primary.disks[0]!.image, undefined);
    assert.equal(p.primary.disks[0]!.chain?.childs, 'childs-root');
    assert.equal(p.primary.disks[0]!.replicationTo?.server, '198.18.0.1:9001');
    assert.equal(p.primary.nics[0]!.rewriter, true);
    assert.equal(p.secondary.host, 'alpha');
    assert.equal(p.secondary.incoming, 'tcp:198.18.0.1:9000');
    const text = renderGraphText(spec, stateOf({ web: vmState('beta', 'alpha') }));
    assert.ok(text.includes('=== vm web: primary beta, secondary alpha (roles from the state, status degraded)\n'));
    assert.ok(text.includes('| QEMU web (a secondary promoted by a failover) '));
  });

  test("a failover to the primary keeps the spec's sides (primaryOrigin primary)", async () => {
    const spec = await loadExample('pair.yaml');
    const g = specGraph(spec, stateOf({ web: vmState('alpha', 'beta', { primaryOrigin: 'primary' }) }));
    assert.equal(g.pairs[0]!.primary.host, 'alpha');
    assert.equal(g.pairs[0]!.primary.disks[0]!.image, '/var/lib/images/web.qcow2');
    assert.equal(g.pairs[0]!.primary.nics[0]!.rewriter, false);
  });

  test('a state entry naming hosts outside the pair is ignored: roles from the spec', async () => {
    const spec = await loadExample('pair.yaml');
    const p = specGraph(spec, stateOf({ web: vmState('gamma', 'alpha') })).pairs[0]!;
    assert.equal(p.rolesFrom, 'spec');
    assert.equal(p.primary.host, 'alpha');
  });

  test('no state: roles from the spec, no status', async () => {
    const p = specGraph(await loadExample('pair.yaml'), null).pairs[0]!;
    assert.equal(p.rolesFrom, 'spec');
    assert.equal(p.status, undefined);
  });

  test('a VM filter keeps the named pairs, in spec order, and only their hosts', async () => {
    const spec = await loadExample('fleet.yaml');
    const g = specGraph(spec, null, ['edge', 'db']);
    assert.deepEqual(
      g.pairs.map((p) => p.vm),
      ['db', 'edge'],
    );
    assert.deepEqual(
      g.hosts.map((h) => h.name),
      ['rack1-a', 'rack1-b', 'rack2-a', 'rack2-b'],
    );
    assert.deepEqual(
      specGraph(spec, null, ['cache']).hosts.map((h) => h.name),
      ['rack2-a', 'rack2-b'],
    );
    assert.equal(specGraph(spec, null, []).pairs.length, 4);
    const dot = renderGraphDot(spec, null, { vms: ['cache'] });
    checkDot(dot);
    assert.ok(!dot.includes('rack1-a'));
  });
});
