/**
 * The cluster part of `colo apply`, per cluster plan (src/plan/cluster-plan.ts): refuse what the plan
 * refused; write the files (corosync.conf, the spec copy, fence_colo) through each host's Transport;
 * generate the authkey once (256 random bytes, written 0400 over SSH stdin to every host, never
 * printed or logged); start corosync and pacemaker (systemd units, or the `direct` script) on every
 * host at once (a two-node cluster waits for all); wait until the cluster has formed (quorate, a DC,
 * every host online); then read the real CIB and reconcile colo's objects with cibadmin (modify,
 * create, replace, delete: never a blind replace of the whole CIB).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ClusterLayout } from '../../spec/cluster-layout.ts';
import { desiredCib } from '../../render/cluster/cib-desired.ts';
import { directServicesArgv } from '../../render/cluster/direct-services.ts';
import { parseObservedCib } from '../../plan/cib-observed.ts';
import { cibChanges, type CibChange, type CibOperation } from '../../plan/cluster-diff.ts';
import { AUTHKEY_PATH, type ClusterPlan } from '../../plan/cluster-plan.ts';
import { parseClusterStatus } from '../../plan/cluster-status.ts';
import { checkedRun, type Transport } from '../../transport/types.ts';
import type { Session } from '../session.ts';
import { COROSYNC_CONF_PATH, clusterFiles } from './cluster-files.ts';
import { layoutsOf } from './plan-clusters.ts';

export class ClusterRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterRefused';
  }
}

export interface ClusterApplyResult {
  name: string;
  filesWritten: number;
  authkeyWritten: boolean;
  started: string[];
  /** From the first start to a formed cluster (ms), when something was started. */
  formationMs?: number;
  cib: CibChange[];
}

export function cibadminArgv(c: CibOperation): string[] {
  if (c.op === 'modify') return ['cibadmin', '--modify', '--allow-create', '-o', c.scope, '--xml-pipe'];
  if (c.op === 'delete') return ['cibadmin', '--delete', '--xml-pipe'];
  return ['cibadmin', `--${c.op}`, '-o', c.scope, '--xml-pipe'];
}

function servicesArgv(services: 'systemd' | 'direct', action: 'start' | 'stop'): string[] {
  if (services === 'direct') return directServicesArgv(action);
  return action === 'start'
    ? ['systemctl', 'start', 'corosync', 'pacemaker']
    : ['systemctl', 'stop', 'pacemaker', 'corosync'];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until crm_mon on `t`'s host says: quorate, a DC, every host of the cluster online. */
export async function waitFormed(t: Transport, hosts: readonly string[], timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  let last = 'no answer yet';
  while (Date.now() - t0 < timeoutMs) {
    const r = await t
      .run(['crm_mon', '-1', '--output-as=xml'], { timeoutMs: 15_000 })
      .catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    if (r.code === 0) {
      try {
        const s = parseClusterStatus(r.stdout);
        const online = new Set(s.nodes.filter((n) => n.online).map((n) => n.name));
        if (s.quorate && s.dc !== undefined && hosts.every((h) => online.has(h))) return Date.now() - t0;
        last = `quorate ${s.quorate}, DC ${s.dc ?? 'none'}, online ${[...online].join(' ') || 'none'}`;
      } catch (e) {
        last = (e as Error).message;
      }
    } else last = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
    await sleep(250);
  }
  throw new Error(`${t.host}: the cluster did not form within ${timeoutMs / 1000} s (${last})`);
}

async function writeFiles(
  session: Session,
  plan: ClusterPlan,
  layout: ClusterLayout,
  specText: string,
): Promise<number> {
  const files = await clusterFiles(session.spec, layout, specText);
  let n = 0;
  for (const ch of plan.hostChanges.filter((c) => c.kind === 'file')) {
    const f = files[ch.host]?.find((x) => x.path === ch.path);
    if (!f) throw new Error(`internal: no rendered file ${ch.path} for ${ch.host}`);
    const t = session.transport(ch.host);
    await checkedRun(t, ['mkdir', '-p', path.posix.dirname(f.path)], { timeoutMs: 15_000 });
    await t.writeFile(f.path, f.text, { mode: f.mode, timeoutMs: 15_000 });
    n++;
  }
  return n;
}

/** One key for every host of the cluster, generated here, sent on stdin, mode 0400; never returned. */
async function writeAuthkey(session: Session, hosts: readonly string[]): Promise<void> {
  const key = randomBytes(256);
  for (const h of hosts) {
    const t = session.transport(h);
    await checkedRun(t, ['mkdir', '-p', path.posix.dirname(AUTHKEY_PATH)], { timeoutMs: 15_000 });
    await t.writeFile(AUTHKEY_PATH, key, { mode: 0o400, timeoutMs: 15_000 });
  }
  key.fill(0);
}

async function startServices(session: Session, plan: ClusterPlan, restart: boolean): Promise<string[]> {
  const services = session.spec.cluster?.services ?? 'systemd';
  const hosts = restart
    ? plan.hosts
    : [...new Set(plan.hostChanges.filter((c) => c.kind === 'services').map((c) => c.host))];
  if (restart)
    await Promise.all(
      plan.hosts.map((h) => checkedRun(session.transport(h), servicesArgv(services, 'stop'), { timeoutMs: 180_000 })),
    );
  await Promise.all(
    hosts.map((h) => checkedRun(session.transport(h), servicesArgv(services, 'start'), { timeoutMs: 90_000 })),
  );
  return hosts;
}

/** Reads the CIB on `t`'s host and runs the changes that make colo's objects what the spec wants. */
export async function reconcileCib(t: Transport, session: Session, layout: ClusterLayout): Promise<CibChange[]> {
  const have = parseObservedCib(await checkedRun(t, ['cibadmin', '-Q'], { timeoutMs: 30_000 }));
  const changes = cibChanges(desiredCib(session.spec, layout), have);
  for (const c of changes) await checkedRun(t, cibadminArgv(c.cib), { stdin: c.cib.xml, timeoutMs: 30_000 });
  return changes;
}

export async function applyCluster(session: Session, plan: ClusterPlan, specText: string): Promise<ClusterApplyResult> {
  if (plan.refusals.length > 0) throw new ClusterRefused(`cluster ${plan.name}: ${plan.refusals.join('; ')}`);
  const layout = layoutsOf(session.spec).find((l) => l.name === plan.name);
  if (!layout) throw new ClusterRefused(`cluster ${plan.name} is not in the spec any more: make a new plan`);
  const filesWritten = await writeFiles(session, plan, layout, specText);
  const authkey = plan.hostChanges.some((c) => c.kind === 'authkey');
  if (authkey) await writeAuthkey(session, layout.hosts);
  const confChanged = plan.hostChanges.filter((c) => c.kind === 'file' && c.path === COROSYNC_CONF_PATH);
  const wasRunning = !plan.hostChanges.some((c) => c.kind === 'services');
  const t0 = Date.now();
  const started = await startServices(session, plan, authkey && plan.cibObserved);
  if (confChanged.length > 0 && wasRunning && !authkey) {
    await checkedRun(session.transport(layout.hosts[0]!), ['corosync-cfgtool', '-R'], { timeoutMs: 30_000 });
  }
  const first = session.transport(layout.hosts[0]!);
  await waitFormed(first, layout.hosts);
  const formationMs = Date.now() - t0;
  const cib = await reconcileCib(first, session, layout);
  return {
    name: plan.name,
    filesWritten,
    authkeyWritten: authkey,
    started,
    ...(started.length > 0 ? { formationMs } : {}),
    cib,
  };
}

export async function applyClusters(
  session: Session,
  plans: readonly ClusterPlan[],
  specText: string,
): Promise<ClusterApplyResult[]> {
  const out: ClusterApplyResult[] = [];
  for (const p of plans) out.push(await applyCluster(session, p, specText));
  return out;
}
