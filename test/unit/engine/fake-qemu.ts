/**
 * A small model of a QEMU behind the fake QMP peer (test/unit/qmp/fake-qmp-peer.ts), enough for the
 * recipes of apply and failover: block jobs (READY after a mirror starts, COMPLETED or CANCELLED
 * after a cancel), named nodes, objects, chardevs, COLO mode, migration and run status, virtio
 * statuses. It records every command the client sent, in order.
 */
import { QmpClient } from '../../../src/qmp/client.ts';
import type { QmpCommand } from '../../../src/qmp/types.ts';
import { FakeQmpPeer, type Msg } from '../qmp/fake-qmp-peer.ts';

export interface FakeQemuState {
  jobs: Map<string, { ready: boolean }>;
  nodes: Set<string>;
  objects: Set<string>;
  chardevs: Set<string>;
  coloMode: string;
  runStatus: string;
  /** query-migrate answers these in turn (the last one repeats). */
  migrate: Record<string, unknown>[];
  /** x-query-virtio-status answers, per round of queries for one path (the last one repeats). */
  virtio: Record<string, unknown>[];
  params: Record<string, unknown>;
}

/** An error QEMU answers for a command, by command name (each used once, in order). */
export type Failures = Record<string, { cls: string; desc: string }[]>;

export class FakeQemu {
  readonly peer = new FakeQmpPeer();
  readonly state: FakeQemuState;
  readonly failures: Failures = {};
  private migrateCalls = 0;
  private readonly virtioCalls = new Map<string, number>();
  /** Called after each command was answered. */
  after: ((m: Msg, q: FakeQemu) => void) | undefined;

  constructor(state: Partial<FakeQemuState> = {}) {
    this.state = {
      jobs: new Map(),
      nodes: new Set(),
      objects: new Set(),
      chardevs: new Set(),
      coloMode: 'none',
      runStatus: 'running',
      migrate: [{}],
      virtio: [{ status: 15, disabled: false }],
      params: {},
      ...state,
    };
    this.peer.handler = (m, p) => {
      const fail = this.failures[String(m.execute)]?.shift();
      if (fail) p.replyError(m, fail.cls, fail.desc);
      else p.reply(m, this.answer(m));
      this.after?.(m, this);
    };
  }

  async connect(): Promise<QmpClient> {
    const c = QmpClient.connect(this.peer.stream);
    this.peer.greet();
    return c;
  }

  /** What the client sent, as commands, without the handshake. */
  sent(): QmpCommand[] {
    return this.peer.received
      .filter((m) => m.execute !== 'qmp_capabilities')
      .map((m) =>
        m.arguments === undefined ? { execute: m.execute! } : { execute: m.execute!, arguments: m.arguments },
      );
  }

  event(name: string, data?: Record<string, unknown>, seconds = 1, microseconds = 0): void {
    setImmediate(() =>
      this.peer.send({ timestamp: { seconds, microseconds }, event: name, ...(data ? { data } : {}) }),
    );
  }

  private answer(m: Msg): unknown {
    const a = m.arguments ?? {};
    const s = this.state;
    switch (m.execute) {
      case 'query-block-jobs':
        return [...s.jobs].map(([device, j]) => ({
          device,
          ready: j.ready,
          status: j.ready ? 'ready' : 'running',
          offset: 100,
          len: 100,
        }));
      case 'x-debug-query-block-graph':
        return { nodes: [...s.nodes].map((name, id) => ({ name, type: 'block-driver', id })), edges: [] };
      case 'qom-list':
        return [...s.objects].map((name) => ({ name, type: 'child<object>' }));
      case 'query-chardev':
        return [...s.chardevs].map((label) => ({ label, filename: 'x' }));
      case 'query-colo-status':
        return { mode: s.coloMode, 'last-mode': 'none', reason: 'none' };
      case 'query-status':
        return { status: s.runStatus, running: s.runStatus === 'running' };
      case 'query-migrate':
        return s.migrate[Math.min(this.migrateCalls++, s.migrate.length - 1)];
      case 'query-migrate-parameters':
        return s.params;
      case 'x-query-virtio-status': {
        const path = String(a['path']);
        const n = this.virtioCalls.get(path) ?? 0;
        this.virtioCalls.set(path, n + 1);
        return s.virtio[Math.min(n, s.virtio.length - 1)];
      }
      case 'migrate-set-parameters':
        Object.assign(s.params, a);
        return {};
      default:
        this.effect(String(m.execute), a);
        return {};
    }
  }

  private effect(cmd: string, a: Record<string, unknown>): void {
    const s = this.state;
    if (cmd === 'blockdev-add') s.nodes.add(String(a['node-name']));
    if (cmd === 'blockdev-del') s.nodes.delete(String(a['node-name']));
    if (cmd === 'object-add') s.objects.add(String(a['id']));
    if (cmd === 'object-del') s.objects.delete(String(a['id']));
    if (cmd === 'chardev-add') s.chardevs.add(String(a['id']));
    if (cmd === 'chardev-remove') s.chardevs.delete(String(a['id']));
    if (cmd === 'x-colo-lost-heartbeat') s.coloMode = 'none';
    if (cmd === 'blockdev-mirror') {
      const job = String(a['job-id']);
      s.jobs.set(job, { ready: true });
      this.event('BLOCK_JOB_READY', { device: job, type: 'mirror' });
    }
    if (cmd === 'block-job-cancel') {
      const job = String(a['device']);
      s.jobs.delete(job);
      this.event(a['force'] ? 'BLOCK_JOB_CANCELLED' : 'BLOCK_JOB_COMPLETED', { device: job, type: 'mirror' });
    }
  }
}
