/**
 * `colo graph --format dot`: the topology as a Graphviz digraph. One cluster per host; in it a node
 * per QEMU instance, per disk (its quorum and children) and per NIC (its proxy objects); labelled
 * edges for the NBD, migration, mirror and compare links in the direction data flows. Pure.
 */
import type { Spec } from '../../../spec/types.ts';
import type { ColoState } from '../../../plan/state-model.ts';
import {
  specGraph,
  type GraphDisk,
  type GraphLink,
  type GraphNic,
  type GraphSide,
  type PairGraph,
  type SpecGraph,
} from './graph-model.ts';

export interface GraphDotOptions {
  /** Only these VMs (default: all). */
  vms?: readonly string[];
}

/** Text inside a DOT double-quoted string: backslashes and quotes escaped, control characters dropped. */
function esc(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\u0000-\u001f]/g, ' ');
}

/** A DOT double-quoted string. */
export function dotString(s: string): string {
  return `"${esc(s)}"`;
}

/** A multi-line label, every line left-justified (\l). */
function leftLabel(lines: string[]): string {
  return `"${lines.map(esc).join('\\l')}\\l"`;
}

/** A centred multi-line label (\n between lines). */
function centredLabel(lines: string[]): string {
  return `"${lines.map(esc).join('\\n')}"`;
}

export const qemuNode = (vm: string, host: string) => `qemu:${vm}@${host}`;
export const diskNode = (vm: string, host: string, disk: string) => `disk:${vm}@${host}:${disk}`;
export const nicNode = (vm: string, host: string, nic: string) => `nic:${vm}@${host}:${nic}`;

function diskLabel(d: GraphDisk): string[] {
  const out = [`disk ${d.ids.diskId}: ${d.ids.device} (${d.interface})`, `${d.ids.quorum} (quorum)`];
  if (d.image !== undefined) out.push(`children.0 ${d.image} (${d.format})`);
  if (d.chain) {
    out.push(`children.0 ${d.chain.childs} (replication, secondary)`);
    out.push(
      `  parent ${d.chain.paths.base} (${d.chain.parent})`,
      `  <- hidden ${d.chain.paths.hidden}`,
      `  <- active ${d.chain.paths.active}`,
    );
  }
  if (d.replicationTo)
    out.push(
      `children.1 ${d.replicationTo.replication} (replication, primary)`,
      `  -> ${d.replicationTo.nbd} (NBD client)`,
    );
  if (d.exportName !== undefined && d.chain) out.push(`NBD export ${d.exportName} of ${d.chain.parent}`);
  return out;
}

function nicLabel(n: GraphNic, s: GraphSide): string[] {
  const i = n.ids;
  const out = [`nic ${i.netdevId}: ${i.device} (${n.model})`, `${n.mac}, ${n.backend}`];
  if (s.role === 'primary') {
    out.push(
      `${i.filterMirror} filter-mirror tx -> ${i.mirror}`,
      `${i.redirectorIn} filter-redirector rx -> ${i.primaryIn}`,
      `${i.compare} colo-compare (${i.iothread})`,
      `  primary_in ${i.primaryInClient}, secondary_in ${i.compareIn}`,
      `  outdev ${i.compareOutClient}`,
      `${i.redirectorOut} filter-redirector rx <- ${i.compareOut}`,
    );
    if (n.rewriter) out.push(`${i.rewriter} filter-rewriter all`);
  } else {
    out.push(
      `${i.secRedirectTx} filter-redirector tx <- ${i.secMirror}`,
      `${i.secRedirectRx} filter-redirector rx -> ${i.secCompare}`,
      `${i.rewriter} filter-rewriter all`,
    );
  }
  for (const f of n.hostForwards) out.push(`hostfwd ${f.protocol} ${f.address}:${f.hostPort} -> guest ${f.guestPort}`);
  return out;
}

function qemuLabel(p: PairGraph, s: GraphSide): string[] {
  const out = [
    `QEMU ${p.vm}: ${s.role}${s.role === 'primary' && s.startedAs === 'secondary' ? ' (promoted)' : ''}`,
    `qmp ${s.qmpSocket}`,
  ];
  if (s.incoming !== undefined) out.push(`-incoming ${s.incoming}`);
  if (s.nbdServer !== undefined) out.push(`NBD server ${s.nbdServer}`);
  return out;
}

function sideStatements(p: PairGraph, s: GraphSide): string[] {
  const q = qemuNode(p.vm, s.host);
  const out = [
    `${dotString(q)} [label=${leftLabel(qemuLabel(p, s))}, shape=box3d${s.role === 'primary' ? ', penwidth=2' : ''}];`,
  ];
  for (const d of s.disks) {
    const id = diskNode(p.vm, s.host, d.ids.diskId);
    out.push(`${dotString(id)} [label=${leftLabel(diskLabel(d))}, shape=cylinder];`);
    out.push(`${dotString(q)} -> ${dotString(id)} [arrowhead=none, style=dashed];`);
  }
  for (const n of s.nics) {
    const id = nicNode(p.vm, s.host, n.ids.netdevId);
    out.push(`${dotString(id)} [label=${leftLabel(nicLabel(n, s))}, shape=component];`);
    out.push(`${dotString(q)} -> ${dotString(id)} [arrowhead=none, style=dashed];`);
  }
  return out;
}

const EDGE_STYLE: Record<GraphLink['kind'], string> = {
  nbd: 'color=blue, fontcolor=blue',
  migration: 'style=bold',
  mirror: 'color=darkgreen, fontcolor=darkgreen',
  compare: 'color=red, fontcolor=red',
};

function linkEdge(p: PairGraph, l: GraphLink): string {
  const node = (host: string) =>
    l.kind === 'migration'
      ? qemuNode(p.vm, host)
      : l.kind === 'nbd'
        ? diskNode(p.vm, host, l.of ?? '')
        : nicNode(p.vm, host, l.of ?? '');
  const name = l.kind === 'nbd' ? 'NBD' : l.kind;
  const label = centredLabel([`${name} ${l.listen}`, `${l.from.id} -> ${l.to.id}`, l.note]);
  return `${dotString(node(l.from.host))} -> ${dotString(node(l.to.host))} [label=${label}, ${EDGE_STYLE[l.kind]}];`;
}

export function renderGraphModelDot(g: SpecGraph): string {
  const title =
    `colo: ${g.pairs.length} VM pair${g.pairs.length === 1 ? '' : 's'} on ${g.hosts.length} ` +
    `host${g.hosts.length === 1 ? '' : 's'}`;
  const out = [
    `// ${title}. Render with: dot -Tsvg -o colo.svg`,
    'digraph colo {',
    `  graph [rankdir=LR, newrank=true, fontname="monospace", label=${dotString(title)}, labelloc=t];`,
    '  node [fontname="monospace", fontsize=10, shape=box];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  for (const h of g.hosts) {
    const sides = g.pairs.flatMap((p) =>
      [p.primary, p.secondary].filter((s) => s.host === h.name).map((s) => ({ p, s })),
    );
    out.push('', `  subgraph ${dotString(`cluster_host_${h.name}`)} {`);
    out.push(
      `    label=${centredLabel([`host ${h.name}`, `${h.reach}, replication ${h.replicationAddress}`])};`,
      '    style=rounded;',
    );
    if (sides.length === 0) out.push(`    ${dotString(`host:${h.name}`)} [label="no VM", shape=plaintext];`);
    for (const { p, s } of sides) for (const st of sideStatements(p, s)) out.push(`    ${st}`);
    out.push('  }');
  }
  const edges = g.pairs.flatMap((p) => p.links.map((l) => `  ${linkEdge(p, l)}`));
  if (edges.length > 0) out.push('', ...edges);
  out.push('}');
  return `${out.join('\n')}\n`;
}

export function renderGraphDot(spec: Spec, state: ColoState | null, o: GraphDotOptions = {}): string {
  return renderGraphModelDot(specGraph(spec, state, o.vms));
}
