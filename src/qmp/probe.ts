/**
 * Learn what a running QEMU supports, in one pipelined QMP round trip, and map it onto a Dialect.
 * Also a pure parser for `qemu-system-x86_64 --version` output (the engine runs the command).
 */
import type { Dialect, DialectOptions, QemuVersion } from '../render/dialect.ts';
import type { QmpClient, QmpCallOptions } from './client.ts';
import { dialectForVersion } from '../render/dialect.ts';
import { truncateForMessage } from './client.ts';
import type { QemuProbe, QmpCommand } from './types.ts';

const COLO_COMMANDS = ['x-colo-lost-heartbeat', 'query-colo-status'] as const;
const COLO_PROXY_TYPES = ['colo-compare', 'filter-mirror', 'filter-redirector', 'filter-rewriter'] as const;

/** The batch sent by probeQemu, in this order. */
export const PROBE_COMMANDS: readonly QmpCommand[] = [
  { execute: 'query-version' },
  { execute: 'query-commands' },
  { execute: 'query-migrate-capabilities' },
  { execute: 'query-qmp-schema' },
  { execute: 'qom-list-types' },
];

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function names(list: unknown, key: string): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((e) => (isObj(e) && typeof e[key] === 'string' ? [e[key]] : []));
}

/** Enum value names of a query-qmp-schema entry (`values` in older QEMUs, `members[].name` in newer). */
function enumValues(entry: Record<string, unknown>): string[] {
  if (Array.isArray(entry.values)) return entry.values.filter((x): x is string => typeof x === 'string');
  return names(entry.members, 'name');
}

/**
 * True when the schema's block driver enum (names are masked in query-qmp-schema, so recognised by
 * its members) includes `replication`, i.e. QEMU was built with CONFIG_REPLICATION.
 */
export function schemaHasReplication(schema: unknown): boolean {
  if (!Array.isArray(schema)) return false;
  return schema.some((e) => {
    if (!isObj(e) || e['meta-type'] !== 'enum') return false;
    const vals = enumValues(e);
    return vals.includes('replication') && vals.includes('qcow2');
  });
}

/** Build a QemuProbe from the replies to PROBE_COMMANDS (pure; exported for tests). */
export function probeFromReplies(replies: {
  version: unknown;
  commands: unknown;
  migrateCapabilities?: unknown;
  schema?: unknown;
  qomTypes?: unknown;
}): QemuProbe {
  const ver = replies.version;
  if (!isObj(ver) || !isObj(ver.qemu)) {
    throw new Error(`query-version returned no version: ${truncateForMessage(JSON.stringify(ver) ?? String(ver))}`);
  }
  const q = ver.qemu;
  const version = { major: Number(q.major), minor: Number(q.minor), micro: Number(q.micro) };
  if (![version.major, version.minor, version.micro].every(Number.isInteger)) {
    throw new Error(`query-version returned a malformed version: ${truncateForMessage(JSON.stringify(q))}`);
  }
  const commands = new Set(names(replies.commands, 'name'));
  const capabilities = names(replies.migrateCapabilities, 'capability');
  const types = new Set(names(replies.qomTypes, 'name'));
  const hasReplication =
    replies.schema !== undefined ? schemaHasReplication(replies.schema) : commands.has('xen-set-replication');
  return {
    version,
    package: typeof ver.package === 'string' ? ver.package.trim() : '',
    capabilities,
    hasColo: capabilities.includes('x-colo') && COLO_COMMANDS.every((c) => commands.has(c)),
    hasReplication,
    hasColoProxy: COLO_PROXY_TYPES.every((t) => types.has(t)),
    commands,
  };
}

/**
 * Probe a connected QEMU: version, commands, migration capabilities, schema and QOM types, all sent
 * at once and answered in one round trip. query-version and query-commands must succeed; the rest
 * degrade (no capabilities / replication guessed from commands / no COLO proxy) when refused.
 */
export async function probeQemu(client: QmpClient, opts: QmpCallOptions = {}): Promise<QemuProbe> {
  const settled = await client.executeAllSettled(PROBE_COMMANDS, opts);
  const value = (i: number, required: boolean): unknown => {
    const s = settled[i];
    if (!s) return undefined;
    if (s.ok) return s.value;
    if (required) throw s.error;
    return undefined;
  };
  const schema = value(3, false);
  return probeFromReplies({
    version: value(0, true),
    commands: value(1, true),
    migrateCapabilities: value(2, false),
    ...(schema !== undefined ? { schema } : {}),
    qomTypes: value(4, false),
  });
}

/** The dialect a probed QEMU speaks (uses the probe's package string to recognise builds with the TCG fixes). */
export function dialectFromProbe(probe: QemuProbe, opts: Omit<DialectOptions, 'package'> = {}): Dialect {
  return dialectForVersion(probe.version, { ...opts, package: probe.package });
}

export interface BinaryVersion {
  version: QemuVersion;
  /** The parenthesised build string, e.g. "Debian 1:7.2+dfsg-7+deb12u16"; "" when absent. */
  package: string;
}

/**
 * Parse `qemu-system-x86_64 --version` output, e.g.
 * "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u16)\nCopyright (c) 2003-2022 ...".
 * Throws an Error naming what it got when the output is not recognised.
 */
export function probeBinaryVersion(output: string): BinaryVersion {
  const m = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?[^\S\n]*(?:\(((?:[^()\n]|\([^()\n]*\))*)\))?/.exec(output);
  if (!m) {
    throw new Error(`not a QEMU --version output: ${truncateForMessage(output.trim())}`);
  }
  return {
    version: { major: Number(m[1]), minor: Number(m[2]), micro: m[3] !== undefined ? Number(m[3]) : 0 },
    package: (m[4] ?? '').trim(),
  };
}
