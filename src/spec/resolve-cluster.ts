/** The raw `cluster:` section -> `ClusterSettings`: defaults filled in, durations in ms. */
import * as D from './builtin-defaults.ts';
import type { RawCluster, RawDuration } from './raw-spec.ts';
import { strings, valueOr } from './resolve-values.ts';
import type { ClusterFencing, ClusterHost, ClusterSettings, HostSpec, VmSpec } from './types.ts';
import { parseDuration } from './units.ts';

export function resolveCluster(raw: RawCluster, hosts: Record<string, HostSpec>, vms: VmSpec[]): ClusterSettings {
  const members = new Set(vms.flatMap((vm) => [vm.primary, vm.secondary]).filter((h) => hosts[h] !== undefined));
  const clusterHosts: Record<string, ClusterHost> = {};
  for (const name of [...members].sort()) {
    const own = raw.hosts?.[name];
    const addresses = strings(own?.addresses);
    const agent = own?.fencing?.agent;
    const fencing: ClusterFencing =
      agent !== undefined ? { kind: 'agent', agent, params: params(own?.fencing?.params) } : { kind: 'fence-command' };
    clusterHosts[name] = {
      name,
      addresses: addresses.length > 0 ? addresses : [hosts[name]?.replicationAddress ?? ''],
      fencing,
    };
  }
  const settings: ClusterSettings = {
    name: raw.name ?? D.DEFAULT_CLUSTER_NAME,
    tokenMs: ms(raw.token, D.DEFAULT_CLUSTER_TOKEN_MS),
    knetPingIntervalMs: ms(raw.knet?.pingInterval, D.DEFAULT_KNET_PING_INTERVAL_MS),
    knetPingTimeoutMs: ms(raw.knet?.pingTimeout, D.DEFAULT_KNET_PING_TIMEOUT_MS),
    cryptoCipher: raw.crypto?.cipher ?? 'aes256',
    cryptoHash: raw.crypto?.hash ?? 'sha256',
    priorityFencingDelayMs: ms(raw.priorityFencingDelay, D.DEFAULT_PRIORITY_FENCING_DELAY_MS),
    hosts: clusterHosts,
  };
  if (raw.services !== undefined) settings.services = raw.services;
  const q = raw.qdevice?.host;
  if (q !== undefined) {
    const address = strings(raw.hosts?.[q]?.addresses)[0] ?? hosts[q]?.replicationAddress ?? '';
    settings.qdevice = { host: q, address, algorithm: raw.qdevice?.algorithm ?? 'ffsplit' };
  }
  return settings;
}

function ms(v: RawDuration | undefined, fallback: number): number {
  return v === undefined ? fallback : valueOr(parseDuration(v), fallback);
}

function params(raw: Record<string, string | number | boolean | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (v !== undefined) out[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  }
  return out;
}
