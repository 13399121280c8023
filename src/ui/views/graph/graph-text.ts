/**
 * `colo graph` as text, in the spirit of the diagram in QEMU's docs/COLO-FT.txt: per VM pair the
 * primary host's QEMU in a box, the links between the two (NBD, migration, network proxy) with the
 * direction data flows (v: primary to secondary, ^: secondary to primary), then the secondary's box.
 * Pure: spec (+ state) in, text out.
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

export interface GraphTextOptions {
  /** Only these VMs (default: all). */
  vms?: readonly string[];
}

function box(title: string, lines: string[]): string[] {
  const width = Math.max(title.length + 4, ...lines.map((l) => l.length)) + 2;
  const top = `+-- ${title} ${'-'.repeat(Math.max(0, width - title.length - 4))}+`;
  return [top, ...lines.map((l) => `| ${l.padEnd(width - 2)} |`), `+${'-'.repeat(width)}+`];
}

/** Rows of cells, each column padded to its widest cell; trailing spaces trimmed. */
function table(rows: string[][], indent: string): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
  );
}

function diskLines(d: GraphDisk, s: GraphSide): string[] {
  const out = [`disk ${d.ids.diskId}: device ${d.ids.device} (${d.interface}), drive ${d.ids.quorum} (quorum)`];
  if (d.image !== undefined) out.push(`  children.0  ${d.image} (${d.format}, the disk image)`);
  if (d.chain) {
    const c = d.chain;
    out.push(
      `  children.0  ${c.childs} (replication, ` +
        `mode=secondary)${s.role === 'primary' ? ": the guest's disk since the failover" : ''}`,
    );
    out.push(`                 parent  ${c.paths.base} (${c.parent}, the base)`);
    out.push(`              <- hidden  ${c.paths.hidden}`);
    out.push(`              <- active  ${c.paths.active}`);
  }
  if (d.replicationTo) {
    const r = d.replicationTo;
    out.push(`  children.1  ${r.replication} (replication, mode=primary)`);
    out.push(`              -> ${r.nbd}: NBD client of ${r.server}, export ${r.exportName}`);
  }
  if (d.exportName !== undefined && d.chain) out.push(`  NBD export ${d.exportName} of ${d.chain.parent} (writable)`);
  return out;
}

function nicLines(n: GraphNic, s: GraphSide): string[] {
  const i = n.ids;
  const out = [`nic ${i.netdevId}: device ${i.device} (${n.model}, ${n.mac}), netdev ${i.netdevId}: ${n.backend}`];
  const rows: string[][] = [];
  if (s.role === 'primary') {
    rows.push(
      [i.filterMirror, 'filter-mirror', `tx -> ${i.mirror} [${n.mirrorServer}]`],
      [i.redirectorIn, 'filter-redirector', `rx -> ${i.primaryIn} -> ${i.primaryInClient}`],
      [i.compare, 'colo-compare', `primary_in ${i.primaryInClient}`],
      ['', '', `secondary_in ${i.compareIn} [${n.compareServer}]`],
      ['', '', `outdev ${i.compareOutClient}, iothread ${i.iothread}`],
      [i.redirectorOut, 'filter-redirector', `rx <- ${i.compareOut} <- ${i.compareOutClient} (released packets)`],
    );
    if (n.rewriter)
      rows.push([
        i.rewriter,
        'filter-rewriter',
        'all (from its time as the secondary; the filters above go before it)',
      ]);
    rows.push(['socket', i.primaryIn, n.paths.primaryInSocket], ['socket', i.compareOut, n.paths.compareOutSocket]);
  } else {
    rows.push(
      [i.secRedirectTx, 'filter-redirector', `tx <- ${i.secMirror} (connects to ${n.mirrorServer})`],
      [i.secRedirectRx, 'filter-redirector', `rx -> ${i.secCompare} (connects to ${n.compareServer})`],
      [i.rewriter, 'filter-rewriter', 'all'],
    );
  }
  out.push(...table(rows, '  '));
  for (const f of n.hostForwards)
    out.push(`  hostfwd ${f.protocol} ${f.address}:${f.hostPort} -> guest port ${f.guestPort}`);
  return out;
}

function sideLines(s: GraphSide, vm: string): string[] {
  const out = [
    `QEMU ${vm}${s.role === 'primary' && s.startedAs === 'secondary' ? ' (a secondary promoted by a failover)' : ''}`,
  ];
  out.push(`  qmp ${s.qmpSocket}`);
  if (s.incoming !== undefined) out.push(`  -incoming ${s.incoming}`);
  if (s.nbdServer !== undefined) out.push(`  NBD server ${s.nbdServer}`);
  for (const d of s.disks) out.push(...diskLines(d, s));
  for (const n of s.nics) out.push(...nicLines(n, s));
  return out;
}

function linkRows(p: PairGraph): string[] {
  const rows = p.links.map((l) => {
    const arrow = l.from.host === p.primary.host ? 'v' : '^';
    const end = (e: GraphLink['from'], listens: boolean) => `${e.host} ${e.id}${listens ? ` [${l.listen}]` : ''}`;
    const name = l.kind === 'nbd' ? `NBD ${l.of ?? ''}` : l.of === undefined ? l.kind : `${l.kind} ${l.of}`;
    return [arrow, name, `${end(l.from, l.listener === 'from')} -> ${end(l.to, l.listener === 'to')}`, l.note];
  });
  return table(rows, '    ');
}

function pairText(p: PairGraph): string[] {
  const roles = p.rolesFrom === 'state' ? 'roles from the state' : 'roles from the spec';
  const out = [
    `=== vm ${p.vm}: primary ${p.primary.host}, secondary ${p.secondary.host} ` +
      `(${roles}${p.status !== undefined ? `, status ${p.status}` : ''})`,
  ];
  if (p.status === 'degraded')
    out.push(
      `(degraded: ${p.primary.host} runs the VM without a secondary; the secondary below is what colo apply ` +
        `re-creates)`,
    );
  out.push(`machine ${p.machine}`, `checkpoint ${p.checkpoint}`, '');
  out.push(...box(`primary: ${p.primary.host} (${p.primary.replicationAddress})`, sideLines(p.primary, p.vm)));
  out.push(...linkRows(p));
  out.push(...box(`secondary: ${p.secondary.host} (${p.secondary.replicationAddress})`, sideLines(p.secondary, p.vm)));
  return out;
}

export function renderGraphModelText(g: SpecGraph): string {
  const out = [
    `# colo graph: ${g.pairs.length} VM pair${g.pairs.length === 1 ? '' : 's'} on ${g.hosts.length} ` +
      `host${g.hosts.length === 1 ? '' : 's'}`,
  ];
  out.push(
    '# links: v primary -> secondary, ^ secondary -> primary (where the data flows);',
    '#        [address:port] marks the side that listens',
    '',
    'hosts',
  );
  out.push(
    ...table(
      g.hosts.map((h) => [
        h.name,
        h.reach,
        `replication ${h.replicationAddress}`,
        `work dir ${h.workDir}${h.fence !== undefined ? `, fence ${h.fence}` : ''}`,
      ]),
      '  ',
    ),
  );
  for (const p of g.pairs) out.push('', ...pairText(p));
  return `${out.join('\n')}\n`;
}

export function renderGraphText(spec: Spec, state: ColoState | null, o: GraphTextOptions = {}): string {
  return renderGraphModelText(specGraph(spec, state, o.vms));
}
