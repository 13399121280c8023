/**
 * Specs, states and observations for the planner tests, built by hand: a spec from YAML through the
 * real loader, observed QEMUs whose argv are rendered directly with src/render (not through the
 * engine's expectation, so the planner's health checks are tested against an independent source).
 */
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import type { Spec, VmSpec } from '../../../src/spec/types.ts';
import type { ColoState, VmState } from '../../../src/plan/state-model.ts';
import type { Observation, ObservedHost, ObservedQemu } from '../../../src/plan/observed.ts';
import type { Plan, PlanMode, PlannedStep } from '../../../src/plan/plan-model.ts';
import { planAll } from '../../../src/plan/plan-pairs.ts';
import { pairExpectation } from '../../../src/plan/expectation.ts';
import { renderPrimaryArgv, renderSecondaryArgv } from '../../../src/render/argv.ts';
import { dialectForVersion } from '../../../src/render/dialect.ts';
import { diskIds, nicIds } from '../../../src/render/ids.ts';
import { argvHash } from '../../../src/plan/argv-hash.ts';

export interface WebSpecOptions {
  /** machine.memory of web (default 128M). */
  memory?: string;
  /** checkpoint.interval of web (default 2s). */
  interval?: string;
  /** checkpoint.compareTimeout of web (default: colo's 3s). */
  compareTimeout?: string;
  /** extraArgs.secondary of web. */
  extraSecondary?: string[];
  /** Add a second VM `api` on the same two hosts (alpha primary). */
  withApi?: boolean;
  /** Leave `web` out (e.g. a VM removed from the spec). Needs withApi. */
  withoutWeb?: boolean;
}

export const SPEC_FILE = '/srv/colo/web.yaml';

export function webSpecYaml(o: WebSpecOptions = {}): string {
  const web = [
    '  web:',
    '    primary: alpha',
    '    secondary: beta',
    `    machine: { accel: tcg, memory: ${o.memory ?? '128M'}, smp: 1 }`,
    '    boot: { kernel: /srv/guest/vmlinuz, initrd: /srv/guest/initrd.img, append: console=ttyS0 }',
    '    disks:',
    '      - { id: disk0, image: /srv/images/web.qcow2, size: 64M }',
    '    netdevs:',
    '      - id: net0',
    '        backend: user',
    '        hostForwards: [ { hostPort: 8080, guestPort: 80 } ]',
    `    checkpoint: { interval: ` +
      `${o.interval ?? '2s'}${o.compareTimeout ? `, compareTimeout: ${o.compareTimeout}` : ''} }`,
    ...(o.extraSecondary ? ['    extraArgs:', `      secondary: [${o.extraSecondary.join(', ')}]`] : []),
  ];
  const api = [
    '  api:',
    '    primary: alpha',
    '    secondary: beta',
    '    machine: { accel: tcg, memory: 256M }',
    '    boot: { kernel: /srv/guest/vmlinuz }',
    '    disks:',
    '      - { id: root, image: /srv/images/api-root.qcow2, size: 1G }',
    '      - { id: data, image: /srv/images/api-data.qcow2, size: 1G }',
    '    netdevs:',
    '      - { id: lan, backend: user }',
    '    ports: { base: 9100 }',
  ];
  return [
    'apiVersion: colo/v1',
    'hosts:',
    '  alpha:',
    '    ssh: { address: 127.0.0.11, port: 2222 }',
    '    workDir: /var/lib/colo',
    '  beta:',
    '    ssh: { address: 127.0.0.12, port: 2222 }',
    '    workDir: /var/lib/colo',
    'vms:',
    ...(o.withoutWeb ? [] : web),
    ...(o.withApi ? api : []),
    '',
  ].join('\n');
}

export function loadYaml(text: string, file = SPEC_FILE): Spec {
  const r = loadSpecText(text, file, { defaultUser: 'root', homeDir: '/root' });
  if (!r.spec) throw new Error(`test spec does not load:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.spec;
}

export function webSpec(o: WebSpecOptions = {}): Spec {
  return loadYaml(webSpecYaml(o));
}

export function vmOf(spec: Spec, name = 'web'): VmSpec {
  const vm = spec.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no vm ${name}`);
  return vm;
}

const QEMU_72 = {
  major: 7,
  minor: 2,
  micro: 22,
  text: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)',
};

export function obsHost(name: string, o: Partial<ObservedHost> = {}): ObservedHost {
  return { name, reachable: true, workDirExists: true, kvm: false, qemuVersion: QEMU_72, ...o };
}

export function downHost(name: string, error = 'connect ECONNREFUSED 127.0.0.12:2222'): ObservedHost {
  return { name, reachable: false, error, errorKind: 'TransportError', workDirExists: false };
}

const renderOpts = { dialect: dialectForVersion({ major: 7, minor: 2, micro: 22 }), kvmAvailable: false };

/** argv of the QEMU started as primary on `host` of a pair whose other host is `peer`. */
export function primaryArgv(spec: Spec, vm: VmSpec, host: string, peer: string): string[] {
  return renderPrimaryArgv(
    spec,
    vm,
    { primary: host, secondary: peer, primaryPromoted: false, primaryHasProxyChardevs: true },
    renderOpts,
  );
}

/** argv of the QEMU started as secondary (-incoming) on `host`, its primary on `peer`. */
export function secondaryArgv(spec: Spec, vm: VmSpec, host: string, peer: string): string[] {
  return renderSecondaryArgv(
    spec,
    vm,
    { primary: peer, secondary: host, primaryPromoted: false, primaryHasProxyChardevs: true },
    renderOpts,
  );
}

/** A primary QEMU in COLO with everything the spec asks for. */
export function healthyPrimary(
  spec: Spec,
  vm: VmSpec,
  host: string,
  peer: string,
  o: Partial<ObservedQemu> = {},
): ObservedQemu {
  const compareProps = Object.fromEntries(
    vm.netdevs.map((n) => [
      nicIds(n).compare,
      {
        compare_timeout: vm.checkpoint.compareTimeoutMs,
        expired_scan_cycle: vm.checkpoint.expiredScanCycleMs,
        max_queue_size: vm.checkpoint.maxQueueSize,
      },
    ]),
  );
  return {
    host,
    alive: true,
    pid: 4242,
    argv: primaryArgv(spec, vm, host, peer),
    startedAs: 'primary',
    runStatus: 'running',
    coloMode: 'primary',
    coloReason: 'none',
    migrateStatus: 'colo',
    migrateParams: { 'x-checkpoint-delay': vm.checkpoint.intervalMs, 'max-bandwidth': vm.checkpoint.maxBandwidthBytes },
    // qom-list /objects also lists the "type" property
    objects: [
      'type',
      ...vm.netdevs.flatMap((n) => {
        const i = nicIds(n);
        return [i.filterMirror, i.redirectorOut, i.redirectorIn, i.iothread, i.compare];
      }),
    ],
    chardevs: vm.netdevs.flatMap((n) => {
      const i = nicIds(n);
      return [i.mirror, i.compareIn, i.primaryIn, i.primaryInClient, i.compareOut, i.compareOutClient];
    }),
    blockNodes: vm.disks.flatMap((d) => [diskIds(d).nbd, diskIds(d).replication]),
    quorumChildren: Object.fromEntries(vm.disks.map((d) => [diskIds(d).quorum, ['#block229', diskIds(d).replication]])),
    nbdExports: [],
    compareProps,
    virtioDisabled: [],
    ...o,
  };
}

/** A secondary QEMU in COLO with its NBD exports. */
export function healthySecondary(
  spec: Spec,
  vm: VmSpec,
  host: string,
  peer: string,
  o: Partial<ObservedQemu> = {},
): ObservedQemu {
  return {
    host,
    alive: true,
    pid: 5151,
    argv: secondaryArgv(spec, vm, host, peer),
    startedAs: 'secondary',
    runStatus: 'running',
    coloMode: 'secondary',
    coloReason: 'none',
    migrateStatus: 'none',
    migrateParams: { 'x-checkpoint-delay': 20000 },
    objects: [
      'type',
      ...vm.netdevs.flatMap((n) => {
        const i = nicIds(n);
        return [i.secRedirectTx, i.secRedirectRx, i.rewriter];
      }),
    ],
    chardevs: vm.netdevs.flatMap((n) => [nicIds(n).secMirror, nicIds(n).secCompare]),
    blockNodes: [],
    quorumChildren: Object.fromEntries(vm.disks.map((d) => [diskIds(d).quorum, ['#block300']])),
    nbdExports: vm.disks.map((d) => d.exportName),
    compareProps: {},
    virtioDisabled: [],
    ...o,
  };
}

export function observation(hosts: ObservedHost[], vms: Record<string, ObservedQemu[]>): Observation {
  return {
    hosts: Object.fromEntries(hosts.map((h) => [h.name, h])),
    vms: Object.fromEntries(
      Object.entries(vms).map(([name, qs]) => [name, { name, qemu: Object.fromEntries(qs.map((q) => [q.host, q])) }]),
    ),
    tookMs: 12,
  };
}

/** Both hosts up with their work dirs, the pair of `web` healthy in COLO (alpha primary). */
export function healthyWeb(spec: Spec, p: Partial<ObservedQemu> = {}, s: Partial<ObservedQemu> = {}): Observation {
  const vm = vmOf(spec);
  return observation([obsHost('alpha'), obsHost('beta')], {
    web: [healthyPrimary(spec, vm, 'alpha', 'beta', p), healthySecondary(spec, vm, 'beta', 'alpha', s)],
  });
}

export function vmState(o: Partial<VmState> = {}): VmState {
  return {
    primaryHost: 'alpha',
    secondaryHost: 'beta',
    primaryOrigin: 'primary',
    status: 'protected',
    started: {
      alpha: { role: 'primary', argvHash: '0123456789abcdef', pid: 4242, at: '2026-01-01T00:00:00.000Z' },
      beta: { role: 'secondary', argvHash: 'fedcba9876543210', pid: 5151, at: '2026-01-01T00:00:01.000Z' },
    },
    created: {
      beta: [
        '/var/lib/colo/web/disk0-base.qcow2',
        '/var/lib/colo/web/disk0-active.qcow2',
        '/var/lib/colo/web/disk0-hidden.qcow2',
      ],
    },
    ...o,
  };
}

/**
 * `started` of a state in which colo started web's QEMUs exactly as healthyWeb(spec) runs them
 * (alpha primary, beta secondary): an argv that differs from the spec is then a spec change.
 */
export function startedAsRunning(spec: Spec): VmState['started'] {
  const vm = vmOf(spec);
  return {
    alpha: {
      role: 'primary',
      argvHash: argvHash(primaryArgv(spec, vm, 'alpha', 'beta')),
      pid: 4242,
      at: '2026-01-01T00:00:00.000Z',
    },
    beta: {
      role: 'secondary',
      argvHash: argvHash(secondaryArgv(spec, vm, 'beta', 'alpha')),
      pid: 5151,
      at: '2026-01-01T00:00:01.000Z',
    },
  };
}

export const LINEAGE = '8d0b7a52-3c1e-4f43-9a57-0f6a1c2b9e10';

export function state(vms: Record<string, VmState>, serial = 7): ColoState {
  return { version: 1, lineage: LINEAGE, serial, coloVersion: '0.1.0', vms };
}

export const NOW = '2026-02-03T04:05:06.000Z';

export function plan(spec: Spec, st: ColoState | null, obs: Observation, mode: PlanMode = 'normal'): Plan {
  const hostFacts = Object.fromEntries(
    Object.values(obs.hosts).map((h) => [
      h.name,
      { ...(h.qemuVersion ? { qemuVersion: h.qemuVersion } : {}), kvm: !!h.kvm },
    ]),
  );
  return planAll({
    spec,
    state: st,
    observation: obs,
    mode,
    expectation: (vm, roles) => pairExpectation(spec, vm, roles, hostFacts),
    specHash: 'c0ffee',
    coloVersion: '0.1.0-test',
    now: NOW,
  });
}

/** One line per step, `action kind host address`, for exact order assertions. */
export function stepLines(p: Pick<Plan, 'steps'>): string[] {
  return p.steps.map((s: PlannedStep) => `${s.action} ${s.kind} ${s.host ?? '-'} ${s.address}`);
}
