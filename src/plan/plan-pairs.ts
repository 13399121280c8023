/**
 * The planner: a pure function of (spec, state, observation) -> Plan. It decides, per VM pair,
 * what is healthy, what drifted, and the ordered steps that converge it. No I/O, no clock (the
 * caller passes `now`).
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { ColoState, VmState } from './state-model.ts';
import type { Observation, ObservedQemu } from './observed.ts';
import type { BlockedPair, DriftItem, Plan, PlanMode, PlannedStep } from './plan-model.ts';
import type { PairExpectation, Role } from './pair-expectation.ts';
import { describeArgvChanges } from './argv-diff.ts';
import { argvHash } from './argv-hash.ts';

export interface PlanInput {
  spec: Spec;
  state: ColoState | null;
  observation: Observation;
  mode: PlanMode;
  expectation: (vm: VmSpec, roles: { primary: string; secondary: string }) => PairExpectation;
  specHash: string;
  coloVersion: string;
  now: string;
}

interface Roles {
  primary: string;
  secondary: string;
  primaryOrigin: 'primary' | 'promoted-secondary';
}

export function rolesFor(vm: VmSpec, state: ColoState | null): Roles {
  const s = state?.vms[vm.name];
  if (s && [vm.primary, vm.secondary].includes(s.primaryHost) && [vm.primary, vm.secondary].includes(s.secondaryHost)) {
    return { primary: s.primaryHost, secondary: s.secondaryHost, primaryOrigin: s.primaryOrigin };
  }
  return { primary: vm.primary, secondary: vm.secondary, primaryOrigin: 'primary' };
}

/** What is wrong with one side, in plain language (empty = healthy). */
export interface SideFindings {
  problems: string[];
  argvChanges: ReturnType<typeof describeArgvChanges>;
}

/** The running and the wanted argv of a drifted QEMU, for the plan's command-line diff. */
function commandLineOf(q: ObservedQemu, exp: PairExpectation): { commandLine?: { before: string[]; after: string[] } } {
  if (!q.argv || !q.startedAs) return {};
  const after = exp.argv(q.host, q.startedAs);
  return after.length === q.argv.length && after.every((a, i) => a === q.argv![i])
    ? {}
    : { commandLine: { before: q.argv, after } };
}

function argvDrift(q: ObservedQemu, exp: PairExpectation): SideFindings['argvChanges'] {
  if (!q.argv || !q.startedAs) return [];
  const want = exp.argv(q.host, q.startedAs);
  if (want.length === q.argv.length && want.every((a, i) => a === q.argv![i])) return [];
  return describeArgvChanges(q.argv, want);
}

/** ", last exit reason R" when QEMU reported why COLO last ended. */
function lastExit(q: ObservedQemu): string {
  return q.coloReason && q.coloReason !== 'none' ? `, last exit reason ${q.coloReason}` : '';
}

/** Health of the primary's COLO machinery. */
export function primaryFindings(q: ObservedQemu, exp: PairExpectation): SideFindings {
  const problems: string[] = [];
  if (q.qmpError) problems.push(`QMP on ${q.host} does not answer: ${q.qmpError}`);
  else {
    if (q.coloMode !== 'primary')
      problems.push(`COLO is not running on the primary (mode ` + `${q.coloMode ?? 'unknown'}${lastExit(q)})`);
    if (q.migrateStatus !== 'colo') problems.push(`migration status is ${q.migrateStatus ?? 'unknown'}, not colo`);
    const objects = new Set(q.objects ?? []);
    for (const id of exp.primaryProxyObjects)
      if (!objects.has(id)) problems.push(`proxy object ${id} is missing on the primary (deleted outside colo?)`);
    for (const r of exp.replication) {
      const children = q.quorumChildren?.[r.quorum] ?? [];
      if (!children.includes(r.child))
        problems.push(`replication child ${r.child} is not in quorum ${r.quorum} on the primary`);
    }
    // A switchover colo lost contact with (the migration went on into COLO without it) leaves its
    // resync mirror running: colo never checked it was in step nor ended it.
    const left = exp.resyncNodes.filter((node) => (q.blockNodes ?? []).includes(node));
    if (left.length > 0)
      problems.push(
        `the resync mirror of an interrupted switchover is still there on the primary (${left.join(', ')}); colo ` +
          `never confirmed the disks were in step`,
      );
  }
  return { problems, argvChanges: argvDrift(q, exp) };
}

export function secondaryFindings(q: ObservedQemu, exp: PairExpectation): SideFindings {
  const problems: string[] = [];
  if (q.startedAs && q.startedAs !== 'secondary') problems.push(`the QEMU on ${q.host} was not started as a secondary`);
  if (q.qmpError) problems.push(`QMP on ${q.host} does not answer: ${q.qmpError}`);
  else {
    if (q.coloMode !== 'secondary')
      problems.push(`the secondary is not in COLO (mode ` + `${q.coloMode ?? 'unknown'}${lastExit(q)})`);
    const objects = new Set(q.objects ?? []);
    for (const id of exp.secondaryFilterObjects)
      if (!objects.has(id)) problems.push(`filter object ${id} is missing on the secondary (deleted outside colo?)`);
    const exports = new Set(q.nbdExports ?? []);
    for (const e of exp.exports) if (!exports.has(e)) problems.push(`NBD export ${e} is missing on the secondary`);
    for (const d of q.virtioDisabled ?? [])
      problems.push(
        `secondary virtio device ${d} is stuck disabled (QEMU virtio flag bug): its guest neither sends nor receives`,
      );
  }
  for (const line of q.consoleCrash ?? []) problems.push(`the secondary's guest crashed: "${line}"`);
  return { problems, argvChanges: argvDrift(q, exp) };
}

/** colo-compare QOM property -> the spec's checkpoint field that sets it. */
const COMPARE_PROP_FIELDS: Record<string, string> = {
  compare_timeout: 'compareTimeout',
  expired_scan_cycle: 'expiredScanCycle',
  max_queue_size: 'maxQueueSize',
};

function paramChanges(q: ObservedQemu, exp: PairExpectation): PlannedStep['changes'] {
  const changes: PlannedStep['changes'] = [];
  for (const [k, v] of Object.entries(exp.migrateParams)) {
    const cur = q.migrateParams?.[k];
    if (cur !== v)
      changes.push({
        path: k === 'x-checkpoint-delay' ? 'checkpoint.interval' : `migrate.${k}`,
        before: cur,
        after: v,
      });
  }
  for (const [obj, props] of Object.entries(exp.compareProps)) {
    for (const [k, v] of Object.entries(props)) {
      const cur = q.compareProps?.[obj]?.[k];
      if (cur !== undefined && cur !== v)
        changes.push({ path: `checkpoint.${COMPARE_PROP_FIELDS[k] ?? k} (${obj})`, before: cur, after: v });
    }
  }
  return changes;
}

/** The QEMU runs with exactly the argv colo recorded when it started it (the state's hash). */
function startedByColoAsRunning(q: ObservedQemu, vmState: VmState | undefined): boolean {
  const recorded = vmState?.started[q.host]?.argvHash;
  return recorded !== undefined && q.argv !== undefined && argvHash(q.argv) === recorded;
}

function showValue(v: unknown): string {
  return v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}

interface PairPlan {
  steps: PlannedStep[];
  drift: DriftItem[];
  blocked?: BlockedPair;
  warnings: string[];
}

function reprotectSteps(
  vm: VmSpec,
  roles: Roles,
  opts: {
    leaveColo: boolean;
    stopSecondary: boolean;
    reason: string;
    changes?: PlannedStep['changes'];
    commandLine?: PlannedStep['commandLine'];
  },
): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const n = vm.name;
  if (opts.leaveColo) {
    steps.push({
      address: `vm.${n}.primary`,
      action: 'update',
      kind: 'primary-leave-colo',
      vm: n,
      host: roles.primary,
      reason: `leave COLO on the primary so it runs alone: ${opts.reason}`,
      changes: [],
    });
  }
  if (opts.stopSecondary) {
    steps.push({
      address: `vm.${n}.secondary`,
      action: 'replace',
      kind: 'secondary-stop',
      vm: n,
      host: roles.secondary,
      reason: opts.reason,
      changes: opts.changes ?? [],
      ...(opts.commandLine ? { commandLine: opts.commandLine } : {}),
    });
  }
  steps.push(
    {
      address: `vm.${n}.secondary.images`,
      action: 'create',
      kind: 'secondary-images',
      vm: n,
      host: roles.secondary,
      reason: 'fresh base copy and active/hidden overlays for the secondary',
      changes: [],
    },
    {
      address: `vm.${n}.secondary.qemu`,
      action: 'create',
      kind: 'secondary-start',
      vm: n,
      host: roles.secondary,
      reason: 'secondary QEMU waiting for COLO migration, with its NBD exports',
      changes: [],
    },
    {
      address: `vm.${n}.colo`,
      action: 'create',
      kind: 'colo-start',
      vm: n,
      host: roles.primary,
      reason:
        `resync ${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'} over NBD, wire replication and ` +
        `the COLO proxy, start checkpointing`,
      changes: [],
    },
  );
  return steps;
}

export function planPair(vm: VmSpec, input: PlanInput): PairPlan & { roles: Roles } {
  const roles = rolesFor(vm, input.state);
  const exp = input.expectation(vm, roles);
  const obs = input.observation;
  const vmState: VmState | undefined = input.state?.vms[vm.name];
  const pHost = obs.hosts[roles.primary];
  const sHost = obs.hosts[roles.secondary];
  const pq = obs.vms[vm.name]?.qemu[roles.primary];
  const sq = obs.vms[vm.name]?.qemu[roles.secondary];
  const n = vm.name;
  const out: PairPlan & { roles: Roles } = { roles, steps: [], drift: [], warnings: [] };
  const drift = (address: string, host: string | undefined, description: string) =>
    out.drift.push({ address, vm: n, ...(host ? { host } : {}), description });

  if (!pHost?.reachable) {
    const sAlive = sHost?.reachable && sq?.alive;
    if (input.state?.vms[n] || sAlive)
      drift(`vm.${n}.primary`, roles.primary, `primary host ${roles.primary} is unreachable`);
    out.blocked = {
      vm: n,
      reason:
        `primary host ${roles.primary} is unreachable ` +
        `(${pHost?.error ?? 'not observed'})${sAlive ? `; the secondary on ${roles.secondary} still runs` : ''}`,
      ...(sAlive ? { hint: `if ${roles.primary} is down, run: colo failover ${n} --to secondary` } : {}),
    };
    return out;
  }

  const primaryAlive = !!pq?.alive;
  const secondaryAlive = !!(sHost?.reachable && sq?.alive);
  const deployed = !!vmState;

  if (!primaryAlive) {
    if (secondaryAlive && (deployed || sq?.coloMode === 'secondary')) {
      drift(`vm.${n}.primary`, roles.primary, `the primary QEMU on ${roles.primary} is gone`);
      out.blocked = {
        vm: n,
        reason:
          `the primary QEMU on ${roles.primary} is gone; the VM lives on in the secondary on ` +
          `${roles.secondary}. colo does not promote a secondary on its own`,
        hint: `colo failover ${n} --to secondary`,
      };
      return out;
    }
    if (deployed && roles.primaryOrigin === 'promoted-secondary') {
      drift(`vm.${n}`, undefined, `both QEMUs of ${n} are gone`);
      out.blocked = {
        vm: n,
        reason:
          `both QEMUs of ${n} are gone and the latest disk is the promoted copy on ${roles.primary}; colo ` +
          `will not restart it from the original image`,
      };
      return out;
    }
    if (!sHost?.reachable) {
      if (deployed) {
        drift(`vm.${n}.primary`, roles.primary, `the primary QEMU on ${roles.primary} is gone`);
        drift(`vm.${n}.secondary`, roles.secondary, `secondary host ${roles.secondary} is unreachable`);
      }
      out.blocked = {
        vm: n,
        reason:
          `secondary host ${roles.secondary} is unreachable (${sHost?.error ?? 'not observed'}); a new ` +
          `pair cannot be started`,
      };
      return out;
    }
    if (deployed)
      drift(
        `vm.${n}`,
        undefined,
        `both QEMUs of ${n} are gone; the VM will be started again from its disk image on ${roles.primary}`,
      );
    if (secondaryAlive) {
      out.steps.push({
        address: `vm.${n}.secondary`,
        action: 'delete',
        kind: 'secondary-stop',
        vm: n,
        host: roles.secondary,
        reason: 'a leftover secondary QEMU runs without a primary',
        changes: [],
      });
    }
    out.steps.push({
      address: `vm.${n}.primary`,
      action: 'create',
      kind: 'primary-start',
      vm: n,
      host: roles.primary,
      reason: 'primary QEMU; the guest boots alone before COLO starts',
      changes: [],
    });
    out.steps.push(...reprotectSteps(vm, roles, { leaveColo: false, stopSecondary: false, reason: '' }));
    return out;
  }

  // A QEMU that runs but does not answer QMP cannot be judged: never tear a pair down on a guess.
  for (const q of [pq!, secondaryAlive ? sq : undefined]) {
    if (q?.qmpError) {
      out.blocked = {
        vm: n,
        reason:
          `the QEMU of ${n} on ${q.host} runs (pid ${q.pid ?? '?'}) but its QMP socket does not answer: ` +
          `${q.qmpError}. QEMU serves one QMP client at a time: is another client connected? A QEMU that stays ` +
          `silent is wedged`,
        hint:
          q.host === roles.primary
            ? `disconnect the other QMP client, or if the primary is wedged: colo failover ${n} --to secondary`
            : `disconnect the other QMP client, or if the secondary is wedged: colo failover ${n} --to primary`,
      };
      return out;
    }
    // A health query that failed: the pair cannot be judged healthy, nor torn down on a guess.
    if (q?.healthUnknown?.length) {
      out.blocked = {
        vm: n,
        reason:
          `the health of ${n} on ${q.host} cannot be judged: ` +
          `${q.healthUnknown.map((u) => `${u.query}: ${u.detail}`).join('; ')}`,
        hint: 'run colo plan again; a QEMU that keeps failing these queries needs a look (qemu.log)',
      };
      return out;
    }
  }

  // The primary runs.
  const pf = primaryFindings(pq!, exp);
  if (pf.argvChanges.length > 0) {
    // colo started it with the argv it runs: the spec changed, nothing changed outside colo.
    const specEdit = startedByColoAsRunning(pq!, vmState);
    if (!specEdit)
      drift(
        `vm.${n}.primary`,
        roles.primary,
        `the primary QEMU runs with a command line colo did not start it with, and not the one the spec renders now`,
      );
    if (roles.primaryOrigin === 'promoted-secondary') {
      // primary-start would boot the guest from the user's original image path on this host: the
      // promoted disk (the only current copy) would be left behind. Same rule as "both gone" above.
      const what = pf.argvChanges.map((c) => `${c.path} ${showValue(c.before)} -> ${showValue(c.after)}`).join(', ');
      out.blocked = {
        vm: n,
        reason:
          `the primary of ${n} on ${roles.primary} is a promoted secondary and the spec now renders a ` +
          `different command line (${what}); replacing it would restart the guest from the original image and ` +
          `lose the promoted disk, so colo will not. Revert the spec change to keep the pair as it is`,
      };
      return out;
    }
    out.warnings.push(`replacing the primary of ${n} restarts its guest (a reboot)`);
    out.steps.push({
      address: `vm.${n}.primary`,
      action: 'replace',
      kind: 'primary-stop',
      vm: n,
      host: roles.primary,
      reason: specEdit
        ? 'the spec changed a setting QEMU only takes at start'
        : "its command line was changed outside colo; QEMU takes the spec's only at start",
      changes: pf.argvChanges,
      ...commandLineOf(pq!, exp),
    });
    if (secondaryAlive)
      out.steps.push({
        address: `vm.${n}.secondary`,
        action: 'delete',
        kind: 'secondary-stop',
        vm: n,
        host: roles.secondary,
        reason: 'the secondary must be rebuilt for the new primary',
        changes: [],
      });
    out.steps.push({
      address: `vm.${n}.primary`,
      action: 'create',
      kind: 'primary-start',
      vm: n,
      host: roles.primary,
      reason: 'primary QEMU with the new command line',
      changes: [],
    });
    out.steps.push(...reprotectSteps(vm, roles, { leaveColo: false, stopSecondary: false, reason: '' }));
    return out;
  }

  const inColo = pq!.coloMode === 'primary';
  if (!secondaryAlive) {
    if (sHost?.reachable) {
      if (deployed || inColo)
        drift(
          `vm.${n}.secondary`,
          roles.secondary,
          `the secondary QEMU on ${roles.secondary} is ` +
            `gone${vmState?.status === 'degraded' ? ' (pair degraded since the last failover)' : ''}`,
        );
      out.steps.push(
        ...reprotectSteps(vm, roles, {
          leaveColo: inColo || (pq!.objects ?? []).some((o) => exp.primaryProxyObjects.includes(o)),
          stopSecondary: false,
          reason: `its secondary on ${roles.secondary} is gone`,
        }),
      );
    } else {
      drift(`vm.${n}.secondary`, roles.secondary, `secondary host ${roles.secondary} is unreachable`);
      out.blocked = {
        vm: n,
        reason:
          `secondary host ${roles.secondary} is unreachable (${sHost?.error ?? 'not observed'}); ` +
          (inColo
            ? `the primary on ${roles.primary} still waits for it in COLO and holds its output`
            : `the pair stays degraded: ${n} runs unprotected on ${roles.primary}`),
        ...(inColo ? { hint: `colo failover ${n} --to primary` } : {}),
      };
    }
    return out;
  }

  const sf = secondaryFindings(sq!, exp);
  const problems = [...pf.problems, ...sf.problems];
  for (const p of problems) drift(`vm.${n}`, undefined, p);
  if (sf.argvChanges.length > 0) {
    if (startedByColoAsRunning(sq!, vmState)) problems.push("the spec changed the secondary's command line");
    else {
      const p =
        'the secondary QEMU runs with a command line colo did not start it with, and not the one the spec renders now';
      drift(`vm.${n}`, undefined, p);
      problems.push(p);
    }
  }
  if (problems.length > 0) {
    const anyColoState =
      inColo ||
      (pq!.objects ?? []).some((o) => exp.primaryProxyObjects.includes(o)) ||
      exp.replication.some((r) => (pq!.quorumChildren?.[r.quorum] ?? []).includes(r.child));
    out.steps.push(
      ...reprotectSteps(vm, roles, {
        leaveColo: anyColoState,
        stopSecondary: true,
        reason: `re-protect: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
        changes: sf.argvChanges,
        ...commandLineOf(sq!, exp),
      }),
    );
    return out;
  }

  // Healthy pair: in-place parameter changes only.
  const changes = paramChanges(pq!, exp);
  if (changes.length > 0) {
    // Still what colo last applied: the spec changed. Otherwise someone changed them on the host.
    const applied = vmState?.appliedCheckpoint;
    const specEdit =
      applied !== undefined &&
      paramChanges(pq!, input.expectation({ ...vm, checkpoint: { ...vm.checkpoint, ...applied } }, roles)).length === 0;
    if (!specEdit)
      drift(
        `vm.${n}.checkpoint`,
        roles.primary,
        `checkpoint/compare parameters differ from the spec: ` +
          `${changes.map((c) => `${c.path} is ${String(c.before)}`).join(', ')}`,
      );
    const reason = specEdit
      ? 'the spec changed the checkpoint policy; applied in place, no restart'
      : "checkpoint policy changed outside colo; the spec's is applied in place, no restart";
    out.steps.push({
      address: `vm.${n}.checkpoint`,
      action: 'update',
      kind: 'checkpoint-update',
      vm: n,
      host: roles.primary,
      reason,
      changes,
    });
  }
  return out;
}

/**
 * Stop a pair's QEMUs and delete the files colo created, on the hosts that can be reached. What an
 * unreachable host holds cannot be judged or removed: the pair is blocked (it stays in the state,
 * and a later destroy finishes the job once the host is back).
 */
function destroySteps(
  vmName: string,
  vmState: VmState | undefined,
  hosts: { primary: string; secondary: string },
  obs: Observation,
  reason: string,
): { steps: PlannedStep[]; blocked?: BlockedPair } {
  const steps: PlannedStep[] = [];
  const q = obs.vms[vmName]?.qemu ?? {};
  const unreachable = [...new Set([hosts.secondary, hosts.primary])].filter((h) => !obs.hosts[h]?.reachable);
  for (const [role, host] of [
    ['secondary', hosts.secondary],
    ['primary', hosts.primary],
  ] as const) {
    if (q[host]?.alive && obs.hosts[host]?.reachable) {
      steps.push({
        address: `vm.${vmName}.${role}`,
        action: 'delete',
        kind: role === 'primary' ? 'primary-stop' : 'secondary-stop',
        vm: vmName,
        host,
        reason,
        changes: [],
      });
    }
  }
  for (const host of [hosts.secondary, hosts.primary]) {
    const files = vmState?.created[host] ?? [];
    if (files.length > 0 && obs.hosts[host]?.reachable)
      steps.push({
        address: `vm.${vmName}.files.${host}`,
        action: 'delete',
        kind: 'files-delete',
        vm: vmName,
        host,
        reason: `${files.length} file${files.length === 1 ? '' : 's'} colo created on ${host}`,
        changes: [],
      });
  }
  if (unreachable.length === 0 || !vmState) return { steps };
  const errors = unreachable.map((h) => `${h}: ${obs.hosts[h]?.error ?? 'not observed'}`).join('; ');
  return {
    steps,
    blocked: {
      vm: vmName,
      reason:
        `host ${unreachable.join(' and ')} ${unreachable.length === 1 ? 'is' : 'are'} unreachable ` +
        `(${errors}): colo cannot stop ${vmName}'s QEMU or delete its files ` +
        `there${steps.length > 0 ? '; it removes what it can reach' : ''} and keeps ${vmName} in the state`,
      hint:
        `run the same destroy again once ${unreachable.join(' and ')} ` +
        `${unreachable.length === 1 ? 'is' : 'are'} reachable`,
    },
  };
}

export function planAll(input: PlanInput): Plan {
  const plan: Plan = {
    formatVersion: '1.0',
    coloVersion: input.coloVersion,
    mode: input.mode,
    createdAt: input.now,
    specFile: input.spec.file,
    specHash: input.specHash,
    stateLineage: input.state?.lineage ?? null,
    stateSerial: input.state?.serial ?? 0,
    roles: {},
    hostFacts: Object.fromEntries(
      Object.values(input.observation.hosts).map((h) => [
        h.name,
        {
          ...(h.qemuVersion
            ? { qemuVersion: { major: h.qemuVersion.major, minor: h.qemuVersion.minor, micro: h.qemuVersion.micro } }
            : {}),
          kvm: !!h.kvm,
        },
      ]),
    ),
    drift: [],
    blocked: [],
    steps: [],
    warnings: [],
  };
  const hostSteps = new Set<string>();
  for (const vm of input.spec.vms) {
    const roles = rolesFor(vm, input.state);
    plan.roles[vm.name] = roles;
    if (input.mode === 'destroy') {
      const d = destroySteps(vm.name, input.state?.vms[vm.name], roles, input.observation, 'colo destroy');
      plan.steps.push(...d.steps);
      if (d.blocked) plan.blocked.push(d.blocked);
      continue;
    }
    const pp = planPair(vm, input);
    plan.drift.push(...pp.drift);
    plan.warnings.push(...pp.warnings);
    if (pp.blocked) plan.blocked.push(pp.blocked);
    if (input.mode === 'refresh-only') continue;
    if (pp.steps.length > 0) {
      for (const h of [roles.primary, roles.secondary]) {
        if (!input.observation.hosts[h]?.workDirExists && !hostSteps.has(h)) {
          hostSteps.add(h);
          plan.steps.push({
            address: `host.${h}`,
            action: 'create',
            kind: 'host-prepare',
            host: h,
            reason: `work directory ${input.spec.hosts[h]?.workDir ?? ''}`,
            changes: [],
          });
        }
      }
    }
    plan.steps.push(...pp.steps);
  }
  // VMs colo manages that the spec no longer has: destroy them.
  if (input.mode !== 'refresh-only') {
    for (const [name, vs] of Object.entries(input.state?.vms ?? {})) {
      if (input.spec.vms.some((v) => v.name === name)) continue;
      const d = destroySteps(
        name,
        vs,
        { primary: vs.primaryHost, secondary: vs.secondaryHost },
        input.observation,
        `${name} is not in the spec any more`,
      );
      plan.steps.push(...d.steps);
      if (d.blocked) plan.blocked.push(d.blocked);
    }
  }
  return plan;
}
