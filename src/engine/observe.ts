/**
 * Observation (refresh): the actual state of every host and VM, read over SSH and QMP.
 * Per host: ONE remote command reports the QEMU version, the work directory and, for every VM
 * that may live there, its pid, argv and console crash lines. Then one pipelined QMP batch per
 * live QEMU. Round trips grow with hosts, not with resources.
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState } from '../plan/state-model.ts';
import type { Observation, ObservedHost, ObservedQemu, ObservedVm } from '../plan/observed.ts';
import type { Session } from './session.ts';
import type { QmpCommand } from '../qmp/types.ts';
import { diskIds, nicIds, virtioBackendPaths } from '../render/ids.ts';
import { vmPaths } from '../render/paths.ts';
import { probeBinaryVersion } from '../qmp/probe.ts';

/** Fixed script; every value reaches it as a positional parameter, never pasted into its text. */
export const HOST_OBSERVE_SCRIPT = [
  'bin="$1"; wd="$2"; shift 2',
  'if v=$("$bin" --version 2>&1 | head -n 1) && [ -n "$v" ] && [ -x "$bin" ]; then echo "qemu ok $(printf %s ' +
    '"$v" | base64 -w0)"; else echo "qemu err $(printf %s "${v:-not found}" | base64 -w0)"; fi',
  'if [ -d "$wd" ]; then echo "workdir 1"; else echo "workdir 0"; fi',
  'if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo "kvm 1"; else echo "kvm 0"; fi',
  'for vm in "$@"; do',
  '  d="$wd/$vm"; pid=""; alive=0; cmd="-"; crash="-"',
  '  [ -r "$d/qemu.pid" ] && pid=$(tr -dc 0-9 < "$d/qemu.pid" 2>/dev/null)',
  '  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ]; then alive=1; cmd=$(base64 -w0 < "/proc/$pid/cmdline"); [ ' +
    '-n "$cmd" ] || { cmd=-; alive=0; }; fi',
  '  if [ -f "$d/console.log" ]; then c=$(grep -a -m 5 -E "Kernel panic|Oops|general protection fault|BUG:" ' +
    '"$d/console.log" | base64 -w0); [ -n "$c" ] && crash="$c"; fi',
  '  echo "vm $vm ${pid:--} $alive $cmd $crash"',
  'done',
].join('\n');

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export interface HostReport {
  host: ObservedHost;
  vms: Record<string, { pid?: number; alive: boolean; argv?: string[]; crash: string[] }>;
}

export function parseHostReport(hostName: string, stdout: string): HostReport {
  const host: ObservedHost = { name: hostName, reachable: true, workDirExists: false };
  const vms: HostReport['vms'] = {};
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(' ');
    if (f[0] === 'qemu') {
      const text = b64(f[2] ?? '');
      if (f[1] === 'ok') {
        try {
          const v = probeBinaryVersion(text);
          host.qemuVersion = {
            major: v.version.major,
            minor: v.version.minor,
            micro: v.version.micro,
            text: text.trim(),
          };
        } catch {
          host.qemuError = `unexpected --version output: ${text.trim().slice(0, 120)}`;
        }
      } else host.qemuError = text.trim() || 'QEMU binary not found';
    } else if (f[0] === 'workdir') host.workDirExists = f[1] === '1';
    else if (f[0] === 'kvm') host.kvm = f[1] === '1';
    else if (f[0] === 'vm' && f[1]) {
      const pid = f[2] && f[2] !== '-' ? Number(f[2]) : undefined;
      const argv =
        f[4] && f[4] !== '-'
          ? b64(f[4])
              .split('\u0000')
              .filter((_, i, a) => i < a.length - 1 || a[i] !== '')
          : undefined;
      vms[f[1]] = {
        ...(pid !== undefined ? { pid } : {}),
        alive: f[3] === '1',
        ...(argv ? { argv } : {}),
        crash: f[5] && f[5] !== '-' ? b64(f[5]).split('\n').filter(Boolean) : [],
      };
    }
  }
  return { host, vms };
}

/** Names of the VMs whose QEMU may live on a host: spec VMs using it, plus VMs only the state knows. */
export function vmsOnHost(spec: Spec, state: ColoState | null, hostName: string): string[] {
  const names = new Set<string>();
  for (const vm of spec.vms) if (vm.primary === hostName || vm.secondary === hostName) names.add(vm.name);
  for (const [name, vs] of Object.entries(state?.vms ?? {}))
    if (vs.primaryHost === hostName || vs.secondaryHost === hostName) names.add(name);
  return [...names].sort();
}

/** The QMP queries of one QEMU, sent as one pipelined batch. */
export function qmpObserveBatch(vm: VmSpec): {
  commands: QmpCommand[];
  compareKeys: [string, string][];
  virtioPaths: string[];
} {
  const commands: QmpCommand[] = [
    { execute: 'query-status' },
    { execute: 'query-colo-status' },
    { execute: 'query-migrate' },
    { execute: 'query-migrate-parameters' },
    { execute: 'x-debug-query-block-graph' },
    { execute: 'qom-list', arguments: { path: '/objects' } },
    { execute: 'query-chardev' },
    { execute: 'query-block-exports' },
  ];
  const compareKeys: [string, string][] = [];
  for (const n of vm.netdevs) {
    for (const prop of ['compare_timeout', 'expired_scan_cycle', 'max_queue_size']) {
      compareKeys.push([nicIds(n).compare, prop]);
      commands.push({ execute: 'qom-get', arguments: { path: `/objects/${nicIds(n).compare}`, property: prop } });
    }
  }
  const virtioPaths = virtioBackendPaths(vm);
  for (const path of virtioPaths) commands.push({ execute: 'x-query-virtio-status', arguments: { path } });
  return { commands, compareKeys, virtioPaths };
}

type Settled = { ok: true; value: unknown } | { ok: false; error: Error };
const obj = (x: unknown): Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};

/** Quorum children by quorum id, from x-debug-query-block-graph. */
/**
 * The children of each quorum, keyed by drive name. `quorums` gives each drive name and its quorum's
 * node name; a QEMU started before colo named the quorum node is found through the drive.
 */
export function quorumChildrenFromGraph(
  graph: unknown,
  quorums: { drive: string; node: string }[],
): Record<string, string[]> {
  const g = obj(graph);
  const nodes = Array.isArray(g.nodes) ? g.nodes.map(obj) : [];
  const edges = Array.isArray(g.edges) ? g.edges.map(obj) : [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: Record<string, string[]> = {};
  for (const { drive: q, node } of quorums) {
    let quorumNode = nodes.find((n) => (n.name === node || n.name === q) && n.type === 'block-driver');
    if (!quorumNode) {
      const backend = nodes.find((n) => n.name === q && n.type === 'block-backend');
      const e = backend ? edges.find((x) => x.parent === backend.id) : undefined;
      quorumNode = e ? byId.get(e.child) : undefined;
    }
    if (!quorumNode) continue;
    out[q] = edges
      .filter(
        (e) => e.parent === quorumNode!.id && typeof e.name === 'string' && (e.name as string).startsWith('children.'),
      )
      .map((e) => String(byId.get(e.child)?.name ?? ''));
  }
  return out;
}

export function qemuFromReplies(
  base: ObservedQemu,
  vm: VmSpec,
  batch: ReturnType<typeof qmpObserveBatch>,
  replies: Settled[],
): ObservedQemu {
  const val = (i: number) => (replies[i]?.ok ? (replies[i] as { value: unknown }).value : undefined);
  const q: ObservedQemu = { ...base };
  const status = obj(val(0));
  if (typeof status.status === 'string') q.runStatus = status.status;
  const colo = obj(val(1));
  q.coloMode = (typeof colo.mode === 'string' ? colo.mode : 'none') as ObservedQemu['coloMode'];
  if (typeof colo.reason === 'string') q.coloReason = colo.reason;
  const mig = obj(val(2));
  q.migrateStatus = typeof mig.status === 'string' ? mig.status : 'none';
  q.migrateParams = obj(val(3));
  q.quorumChildren = quorumChildrenFromGraph(
    val(4),
    vm.disks.map((d) => ({ drive: diskIds(d).quorum, node: diskIds(d).quorumNode })),
  );
  const graphNodes = obj(val(4)).nodes;
  q.blockNodes = Array.isArray(graphNodes) ? graphNodes.map((n) => String(obj(n).name ?? '')).filter(Boolean) : [];
  const objects = val(5);
  q.objects = Array.isArray(objects)
    ? objects.map((o) => String(obj(o).name ?? '')).filter((n) => n && !n.startsWith('/'))
    : [];
  const chardevs = val(6);
  q.chardevs = Array.isArray(chardevs) ? chardevs.map((c) => String(obj(c).label ?? '')) : [];
  const exports = val(7);
  // An export QEMU is shutting down (nbd-server-remove, hard) no longer serves: it is missing.
  q.nbdExports = Array.isArray(exports)
    ? exports.filter((e) => obj(e)['shutting-down'] !== true).map((e) => String(obj(e).id ?? ''))
    : [];
  q.compareProps = {};
  batch.compareKeys.forEach(([id, prop], i) => {
    const v = val(8 + i);
    if (typeof v === 'number') (q.compareProps![id] ??= {})[prop] = v;
  });
  const vStart = 8 + batch.compareKeys.length;
  q.virtioDisabled = batch.virtioPaths.filter((_, i) => obj(val(vStart + i)).disabled === true);
  return q;
}

export interface ObserveOptions {
  /** Per-host timeout for the SSH part, ms. */
  timeoutMs?: number;
}

export async function observeHost(
  session: Session,
  state: ColoState | null,
  hostName: string,
  opts: ObserveOptions = {},
): Promise<HostReport> {
  const spec = session.spec;
  const host = spec.hosts[hostName]!;
  const names = vmsOnHost(spec, state, hostName);
  try {
    const res = await session
      .transport(hostName)
      .run(['sh', '-c', HOST_OBSERVE_SCRIPT, 'colo-observe', host.qemu.binary, host.workDir, ...names], {
        timeoutMs: opts.timeoutMs ?? 20_000,
      });
    if (res.code !== 0) throw new Error(`observation script exited ${res.code}: ${res.stderr.trim().slice(0, 300)}`);
    return parseHostReport(hostName, res.stdout);
  } catch (err) {
    return {
      host: {
        name: hostName,
        reachable: false,
        error: (err as Error).message,
        errorKind: (err as Error).name,
        workDirExists: false,
      },
      vms: {},
    };
  }
}

export async function observeQemu(
  session: Session,
  vm: VmSpec,
  hostName: string,
  found: HostReport['vms'][string] | undefined,
): Promise<ObservedQemu> {
  const pidFile = vmPaths(session.spec, vm, hostName).pidFile;
  // A reused pid that is not our QEMU is not alive for us.
  const ours = !!found?.alive && !!found.argv && found.argv.includes(pidFile);
  const base: ObservedQemu = {
    host: hostName,
    alive: ours,
    ...(ours && found?.pid !== undefined ? { pid: found.pid } : {}),
    ...(ours && found?.argv
      ? { argv: found.argv, startedAs: found.argv.includes('-incoming') ? 'secondary' : 'primary' }
      : {}),
    ...(found && found.crash.length > 0 ? { consoleCrash: found.crash } : {}),
  };
  if (!ours) return base;
  try {
    const client = await session.qmp(hostName, vm.name);
    const batch = qmpObserveBatch(vm);
    const replies = await client.executeAllSettled(batch.commands, { timeoutMs: 10_000 });
    return qemuFromReplies(base, vm, batch, replies);
  } catch (err) {
    return { ...base, qmpError: (err as Error).message };
  }
}

export async function observeAll(
  session: Session,
  state: ColoState | null,
  opts: ObserveOptions = {},
): Promise<Observation> {
  const t0 = performance.now();
  const spec = session.spec;
  const hostNames = new Set<string>();
  for (const vm of spec.vms) hostNames.add(vm.primary).add(vm.secondary);
  for (const vs of Object.values(state?.vms ?? {})) {
    if (spec.hosts[vs.primaryHost]) hostNames.add(vs.primaryHost);
    if (spec.hosts[vs.secondaryHost]) hostNames.add(vs.secondaryHost);
  }
  const reports = new Map<string, HostReport>();
  await Promise.all([...hostNames].map(async (h) => reports.set(h, await observeHost(session, state, h, opts))));
  const vms: Record<string, ObservedVm> = {};
  await Promise.all(
    spec.vms.map(async (vm) => {
      const qemu: Record<string, ObservedQemu> = {};
      await Promise.all(
        [vm.primary, vm.secondary].map(async (h) => {
          const r = reports.get(h);
          if (!r?.host.reachable) return;
          qemu[h] = await observeQemu(session, vm, h, r.vms[vm.name]);
        }),
      );
      vms[vm.name] = { name: vm.name, qemu };
    }),
  );
  // VMs only the state knows: process facts only (no spec to derive QMP ids from).
  for (const [name, vs] of Object.entries(state?.vms ?? {})) {
    if (vms[name]) continue;
    const qemu: Record<string, ObservedQemu> = {};
    for (const h of [vs.primaryHost, vs.secondaryHost]) {
      const found = reports.get(h)?.vms[name];
      if (found) qemu[h] = { host: h, alive: found.alive, ...(found.pid !== undefined ? { pid: found.pid } : {}) };
    }
    vms[name] = { name, qemu };
  }
  const hosts: Observation['hosts'] = {};
  for (const [h, r] of reports) hosts[h] = r.host;
  return { hosts, vms, tookMs: Math.round(performance.now() - t0) };
}
