/**
 * The views of status, verify, failover, drill and apply (src/ui/views/<command>), human and JSON,
 * pinned as golden files under test/fixtures/golden/<command>/ for realistic results: statuses from
 * the real pair-status model, plans from the real planner, verifications, failovers and drills as
 * the engine returns them. `npm run golden:update` rewrites them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Output } from '../../../src/ui/views/output.ts';
import { plainStyle, ansiStyle } from '../../../src/ui/style.ts';
import { pairStatuses } from '../../../src/plan/pair-status.ts';
import { checkpointFigures, type FiguresInput } from '../../../src/plan/checkpoint-figures.ts';
import { checkpointAdvice } from '../../../src/plan/checkpoint-advice.ts';
import { StatusHuman } from '../../../src/ui/views/status/status-human.ts';
import { StatusJson } from '../../../src/ui/views/status/status-json.ts';
import { VerifyHuman } from '../../../src/ui/views/verify/verify-human.ts';
import { VerifyJson } from '../../../src/ui/views/verify/verify-json.ts';
import { FailoverHuman } from '../../../src/ui/views/failover/failover-human.ts';
import { FailoverJson } from '../../../src/ui/views/failover/failover-json.ts';
import { DrillHuman } from '../../../src/ui/views/drill/drill-human.ts';
import { DrillJson } from '../../../src/ui/views/drill/drill-json.ts';
import type { DrillView } from '../../../src/ui/views/drill/drill-view.ts';
import { ApplyHuman } from '../../../src/ui/views/apply/apply-human.ts';
import { ApplyJson } from '../../../src/ui/views/apply/apply-json.ts';
import type { ApplyView } from '../../../src/ui/views/apply/apply-view.ts';
import { ApplyError } from '../../../src/engine/apply.ts';
import { FailoverRefused, type FailoverResult } from '../../../src/engine/failover.ts';
import type { DrillPhase, DrillResult } from '../../../src/engine/drill.ts';
import type { VmVerification } from '../../../src/engine/verify.ts';
import type { Plan, PlannedStep } from '../../../src/plan/plan-model.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import { QmpError } from '../../../src/qmp/types.ts';
import { TransportError } from '../../../src/transport/types.ts';
import { expectGolden } from '../../helpers/golden.ts';
import {
  downHost,
  healthyPrimary,
  healthySecondary,
  healthyWeb,
  obsHost,
  observation,
  plan,
  secondaryArgv,
  state,
  vmOf,
  vmState,
  webSpec,
} from '../plan/plan-fixtures.ts';

/** An Output that keeps what a view writes. */
function capture(): Output & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

const gone = (host: string): ObservedQemu => ({ host, alive: false });
const AT = '2026-02-03T04:05:06.000Z';
const clock = () => new Date(AT);

/** A QEMU that runs but gave no QMP answer within the health deadline (SIGSTOPped when `stopped`). */
function hungQemu(host: string, pid: number, stopped: boolean): ObservedQemu {
  return {
    host,
    alive: true,
    pid,
    qmpError: `QMP handshake [web on ${host}] timed out after 500 ms: no greeting`,
    hung: { deadlineMs: 500 },
    ...(stopped ? { stopped: true } : {}),
  };
}

/** A sample: `n` checkpoints `gapMs` apart, each pausing the guest `pauseMs` (+ i ms), counters at both ends. */
function sample(n: number, gapMs: number, pauseMs: number, before: number, bytesEach: number): FiguresInput {
  const t0 = Date.parse(AT);
  const checkpoints = Array.from({ length: n }, (_, i) => ({
    stopMs: t0 + 100 + i * gapMs,
    resumeMs: t0 + 100 + i * gapMs + pauseMs + i,
  }));
  const endMs = t0 + 200 + n * gapMs;
  const reading = (count: number, at: number) => ({
    atMs: at,
    result: {
      ok: true as const,
      reading: { bytesAcked: 90_000_000 + count * bytesEach, bytesReceived: 4 + 12 * count },
    },
  });
  return {
    intervalMs: 2000,
    tls: false,
    windows: [{ startMs: t0, endMs, checkpoints }],
    readings: [reading(before, t0), reading(before + n, endMs)],
  };
}

describe('status views', () => {
  const spec = webSpec();
  const vm = vmOf(spec);
  const failedOver = state({
    web: vmState({
      primaryHost: 'beta',
      secondaryHost: 'alpha',
      primaryOrigin: 'promoted-secondary',
      status: 'degraded',
      lastFailover: { at: AT, from: 'alpha', to: 'beta', durationMs: 812 },
    }),
  });
  const promoted = healthyPrimary(spec, vm, 'beta', 'alpha', {
    coloMode: 'none',
    coloReason: 'request',
    migrateStatus: 'none',
  });
  const two = webSpec({ withApi: true });
  const api = vmOf(two, 'api');
  const CASES = {
    protected: () => pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec)),
    'after-failover': () =>
      pairStatuses(
        spec,
        failedOver,
        observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), promoted] }),
      ),
    'primary-gone': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [gone('alpha'), healthySecondary(spec, vm, 'beta', 'alpha')],
        }),
      ),
    'primary-host-down': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([downHost('alpha'), obsHost('beta')], { web: [healthySecondary(spec, vm, 'beta', 'alpha')] }),
      ),
    'protected-figures': () =>
      pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec), {
        web: checkpointFigures(sample(3, 2000, 52, 40, 1_450_000)),
      }),
    'checkpoint-storm': () =>
      pairStatuses(spec, state({ web: vmState() }), healthyWeb(spec), {
        web: checkpointFigures(sample(20, 150, 90, 500, 300_000)),
      }),
    'two-vms': () =>
      pairStatuses(
        two,
        state({ api: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [gone('alpha'), gone('beta')],
          api: [healthyPrimary(two, api, 'alpha', 'beta'), gone('beta')],
        }),
      ),
    'secondary-hung': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [healthyPrimary(spec, vm, 'alpha', 'beta'), hungQemu('beta', 5151, true)],
        }),
      ),
    'primary-hung': () =>
      pairStatuses(
        spec,
        state({ web: vmState() }),
        observation([obsHost('alpha'), obsHost('beta')], {
          web: [hungQemu('alpha', 4242, false), healthySecondary(spec, vm, 'beta', 'alpha')],
        }),
      ),
  };

  for (const [name, make] of Object.entries(CASES)) {
    test(name, async () => {
      const text = capture();
      new StatusHuman(text, plainStyle).status(make());
      await expectGolden(`status/${name}.txt`, text.stdout());
      const json = capture();
      new StatusJson(json).status(make());
      await expectGolden(`status/${name}.json`, json.stdout());
      assert.equal(text.stderr() + json.stderr(), '', 'nothing on stderr');
    });
  }

  test('a storm gives the storm advice, normal figures none', () => {
    assert.deepEqual(
      CASES['checkpoint-storm']()[0]!.advice.map((a) => a.kind),
      ['checkpoint-storm'],
    );
    assert.deepEqual(CASES['protected-figures']()[0]!.advice, []);
  });

  test('--watch: redrawn in place on a terminal, appended without one, JSON lines with --json', () => {
    const frame = { at: new Date(AT), intervalMs: 5000, skipped: null };
    const live = capture();
    new StatusHuman(live, plainStyle, true).frame(CASES.protected(), frame);
    assert.ok(live.stdout().startsWith('\u001b[H\u001b[2Jcolo status at 2026-02-03T04:05:06.000Z (every 5 s)\n'));
    const plain = capture();
    new StatusHuman(plain, plainStyle, false).frame(CASES.protected(), frame);
    assert.ok(plain.stdout().startsWith('colo status at 2026-02-03T04:05:06.000Z (every 5 s)\n\nweb: PROTECTED'));
    assert.doesNotMatch(plain.stdout(), /\u001b/);
    const json = capture();
    const view = new StatusJson(json);
    view.frame(CASES.protected(), frame);
    view.frame(CASES.protected(), { ...frame, skipped: 'colo apply (pid 7 on h) holds the state lock' });
    const lines = json.stdout().trimEnd().split('\n');
    assert.equal(lines.length, 1, 'one JSON document per line, none for a skipped refresh');
    assert.equal(JSON.parse(lines[0]!).format_version, '1.1');
    assert.match(json.stderr(), /skipped: colo apply \(pid 7 on h\) holds the state lock/);
  });

  test('colours on a terminal: the health in its colour', () => {
    const text = capture();
    new StatusHuman(text, ansiStyle).status(CASES.protected());
    assert.match(text.stdout(), /^\u001b\[1mweb\u001b\[22m: \u001b\[32mPROTECTED\u001b\[39m - in COLO/);
  });
});

describe('verify views', () => {
  const passed: VmVerification = {
    vm: 'web',
    ok: true,
    primary: 'alpha',
    secondary: 'beta',
    checks: [
      { name: 'colo', ok: true, detail: 'alpha primary, beta secondary, migration colo' },
      { name: 'checkpoints', ok: true, detail: 'a checkpoint completed 812 ms into the check (interval 2000 ms)' },
      { name: 'virtio', ok: true, detail: 'no secondary virtio device disabled' },
      { name: 'console', ok: true, detail: 'no crash on the secondary console' },
      { name: 'service', ok: true, detail: '127.0.0.11:8080 answered in 14 ms: hello from web' },
    ],
    ms: 1834,
    advice: checkpointAdvice('web', checkpointFigures(sample(20, 150, 90, 500, 300_000)), {
      intervalMs: 2000,
      compareTimeoutMs: 3000,
    }),
  };
  const broken: VmVerification = {
    vm: 'api',
    ok: false,
    primary: 'alpha',
    secondary: 'beta',
    checks: [
      { name: 'colo', ok: false, detail: 'the secondary is down: no QEMU of api runs on beta' },
      { name: 'checkpoints', ok: false, detail: 'not in COLO: no checkpoints' },
      { name: 'virtio', ok: true, detail: 'no secondary virtio device disabled' },
      { name: 'console', ok: true, detail: 'no crash on the secondary console' },
      { name: 'service', ok: true, detail: '127.0.0.11:8081 answered in 9 ms: hello from api' },
    ],
    ms: 15,
    advice: [],
  };

  test('every pair passed', async () => {
    const text = capture();
    const human = new VerifyHuman(text, plainStyle);
    human.verified([passed]);
    await expectGolden('verify/passed.txt', text.stdout());
    const json = capture();
    new VerifyJson(json).verified([passed]);
    await expectGolden('verify/passed.json', json.stdout());
  });

  test('a pair failed: the failed checks in the output and in the error line', async () => {
    const text = capture();
    const human = new VerifyHuman(text, plainStyle);
    human.verified([passed, broken]);
    await expectGolden('verify/failed.txt', text.stdout());
    assert.equal(
      human.failure([passed, broken]),
      'verify failed for 1 pair: api: the secondary is down: no QEMU of api runs on beta; not in COLO: no checkpoints',
    );
    const json = capture();
    const view = new VerifyJson(json);
    view.verified([passed, broken]);
    await expectGolden('verify/failed.json', json.stdout());
    assert.equal(view.failure(), null, 'the document says ok: false; no error line');
  });
});

describe('failover views', () => {
  const promoted: FailoverResult = {
    vm: 'web',
    outcome: 'promoted',
    survivor: 'beta',
    fenced: 'alpha',
    fencing: 'stopped-over-ssh',
    timings: { connectMs: 41, fenceMs: 230, qmpMs: 18, verifyMs: 25, totalMs: 320 },
    virtioDisabled: [],
    announce: { state: 'sent', rounds: 5 },
    yanked: [],
    fencedHung: false,
  };
  const fenced: FailoverResult = {
    ...promoted,
    vm: 'db',
    fencing: 'fence-command',
    timings: { connectMs: 2004, fenceMs: 1510, qmpMs: 22, verifyMs: 31, totalMs: 3571 },
    virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'],
  };
  const already: FailoverResult = {
    vm: 'api',
    outcome: 'already-failed-over',
    survivor: 'beta',
    fenced: 'alpha',
    fencing: 'not-needed',
    timings: { connectMs: 39, fenceMs: 0, qmpMs: 0, verifyMs: 0, totalMs: 0 },
    failedOverAt: AT,
  };

  test('promoted, fenced by its fence command, already failed over', async () => {
    const run = { results: [promoted, already, fenced], errors: [] };
    const text = capture();
    const human = new FailoverHuman(text);
    human.progress('web', 'stopping the primary QEMU on alpha');
    human.progress('web', 'promoting the secondary on beta');
    human.results('secondary', run);
    await expectGolden('failover/promoted.txt', text.stdout());
    assert.equal(text.stderr(), 'web: stopping the primary QEMU on alpha\nweb: promoting the secondary on beta\n');
    const json = capture();
    const view = new FailoverJson(json);
    view.progress();
    view.results('secondary', run);
    await expectGolden('failover/promoted.json', json.stdout());
    assert.equal(json.stderr(), '', 'no progress lines with --json');
  });

  test('a hung side killed at once and the yanked connections are told after the timings', () => {
    const hung: FailoverResult = {
      ...promoted,
      fencedHung: true,
      yanked: ['chardev red0-lan', 'chardev red1-lan', 'migration'],
    };
    const text = capture();
    new FailoverHuman(text).results('secondary', { results: [hung], errors: [] });
    assert.ok(
      text
        .stdout()
        .includes(
          '(alpha fenced: stopped-over-ssh) in 320 ms [connect 41 ms, fence 230 ms, QMP 18 ms, verify 25 ms]. ' +
            'alpha was hung (no QMP answer in time): killed at once. ' +
            'Yanked on beta: chardev red0-lan, chardev red1-lan, migration. Run "colo apply"',
        ),
      text.stdout(),
    );
  });

  test('refused and failed VMs: the error line names each', async () => {
    const errors = [
      {
        vm: 'web',
        error: new FailoverRefused(
          'web: the pair is healthy (both QEMUs run in COLO); a failover now drops its protection. Pass --force if ' +
            'you mean it (a planned switchover is: failover --force, then colo apply).',
        ),
      },
      { vm: 'db', error: new TransportError('beta', 'beta: connect ECONNREFUSED 127.0.0.12:2222') },
    ];
    const run = { results: [already], errors };
    const text = capture();
    const human = new FailoverHuman(text);
    human.results('secondary', run);
    await expectGolden('failover/errors.txt', `${text.stdout()}Error: ${human.failure(run)}\n`);
    // As before the views: the VM's name, then its error's message (which may name the VM too).
    assert.equal(
      human.failure({ results: [], errors: [errors[0]!] }),
      `web: ${errors[0]!.error.message}`,
      'one VM: its cause',
    );
    const json = capture();
    const view = new FailoverJson(json);
    view.results('secondary', run);
    await expectGolden('failover/errors.json', json.stdout());
    assert.equal(view.failure(), null);
    const doc = JSON.parse(json.stdout()) as { errors: { kind: string }[] };
    assert.deepEqual(
      doc.errors.map((e) => e.kind),
      ['FailoverRefused', 'TransportError'],
    );
  });
});

/** The re-protection plan after a failover to `primary`, from the real planner (three steps). */
function reprotectPlan(primary = 'beta', secondary = 'alpha'): Plan {
  const spec = webSpec();
  const vm = vmOf(spec);
  const promoted = healthyPrimary(spec, vm, primary, secondary, {
    argv: secondaryArgv(spec, vm, primary, secondary),
    startedAs: 'secondary',
    coloMode: 'none',
    coloReason: 'request',
    migrateStatus: 'none',
    objects: ['type', 'rew-net0'],
    quorumChildren: { 'colo-disk0': ['childs-disk0'] },
  });
  const st = state({
    web: vmState({
      primaryHost: primary,
      secondaryHost: secondary,
      primaryOrigin: 'promoted-secondary',
      status: 'degraded',
    }),
  });
  return plan(spec, st, observation([obsHost('alpha'), obsHost('beta')], { web: [gone(secondary), promoted] }));
}

/** What the engine reports of each step of a run of `steps`, through the view's hooks. */
function runSteps(hooks: ReturnType<ApplyView['progress']>['hooks'], steps: PlannedStep[], failAt?: number): void {
  const details: Record<string, string> = {
    'secondary-images': '1 disk, 64 MiB',
    'secondary-start': 'pid 5151',
    'colo-start': 'in COLO; mirror 412 ms, live RAM copy 1630 ms (wiring 48 ms), switchover pause 23 ms',
  };
  steps.forEach((s, i) => {
    if (failAt !== undefined && i > failAt) return hooks.stepSkipped(s, `${steps[failAt]!.address} failed`);
    hooks.stepStart(s);
    if (s.kind === 'colo-start') {
      hooks.stepProgress(s, `mirroring 1 disk(s) to ${s.host === 'alpha' ? 'beta' : 'alpha'}`);
      hooks.stepProgress(s, 'copying the RAM while the guest runs');
    }
    if (i === failAt)
      hooks.stepFailed(s, 30_412, new QmpError('blockdev-mirror', 'GenericError', 'Could not open image'));
    else hooks.stepDone(s, 1200 + i * 4321, details[s.kind]);
  });
}

describe('drill views', () => {
  const verification = (primary: string, secondary: string, service = false): VmVerification => ({
    vm: 'web',
    ok: true,
    primary,
    secondary,
    checks: (service ? ['service' as const] : (['colo', 'checkpoints', 'virtio', 'console', 'service'] as const)).map(
      (name) => ({ name, ok: true, detail: `${name} fine` }),
    ),
    ms: 1500,
    advice: [],
  });
  const failoverTo = (survivor: string, fenced: string): FailoverResult => ({
    vm: 'web',
    outcome: 'promoted',
    survivor,
    fenced,
    fencing: 'stopped-over-ssh',
    timings: { connectMs: 41, fenceMs: 230, qmpMs: 18, verifyMs: 25, totalMs: 398 },
    virtioDisabled: [],
    announce: { state: 'sent', rounds: 5 },
    yanked: [],
    fencedHung: false,
  });
  const round = (r: number, [p, s]: [string, string]): DrillPhase[] => [
    {
      name: 'verify before',
      round: r,
      ok: true,
      ms: 2150,
      finding: { kind: 'verify', verification: verification(p, s) },
    },
    {
      name: 'failover to the secondary',
      round: r,
      ok: true,
      ms: 420,
      finding: { kind: 'failover', result: failoverTo(s, p) },
    },
    {
      name: 'service on the new primary',
      round: r,
      ok: true,
      ms: 35,
      finding: { kind: 'verify', verification: verification(s, p, true) },
    },
    {
      name: 're-protect',
      round: r,
      ok: true,
      ms: 9800,
      finding: { kind: 'apply', changes: { add: 3, change: 0, remove: 0 } },
    },
    {
      name: 'verify after',
      round: r,
      ok: true,
      ms: 2240,
      finding: { kind: 'verify', verification: verification(s, p) },
    },
  ];

  /** Plays a drill through a view as the engine would: each phase, the re-protection's steps in between. */
  function play(view: DrillView, r: DrillResult): void {
    const hooks = view.hooks();
    for (const p of r.phases) {
      if (p.name === 're-protect') {
        const steps = p.round === 1 ? reprotectPlan().steps : reprotectPlan('alpha', 'beta').steps;
        runSteps(hooks.apply, steps);
      }
      hooks.phaseDone(p, r.rounds);
    }
    view.result(r);
  }

  test('there and back (--back)', async () => {
    const r: DrillResult = {
      vm: 'web',
      rounds: 2,
      ok: true,
      phases: [...round(1, ['alpha', 'beta']), ...round(2, ['beta', 'alpha'])],
    };
    const text = capture();
    play(new DrillHuman(text, 'web'), r);
    await expectGolden('drill/back.txt', text.stdout());
    const json = capture();
    play(new DrillJson(json), r);
    await expectGolden('drill/back.json', json.stdout());
  });

  test('failed at the service check: the phases up to it, then the error line', async () => {
    const broken = verification('beta', 'alpha', true);
    broken.ok = false;
    broken.checks = [
      {
        name: 'service',
        ok: false,
        detail: '127.0.0.11:8080 did not answer (24 tries in 15 s): connect ECONNREFUSED 127.0.0.11:8080',
      },
    ];
    const phases = round(1, ['alpha', 'beta']).slice(0, 3);
    phases[2] = { ...phases[2]!, ok: false, ms: 15_020, finding: { kind: 'verify', verification: broken } };
    const r: DrillResult = { vm: 'web', rounds: 1, ok: false, phases };
    const text = capture();
    const human = new DrillHuman(text, 'web');
    play(human, r);
    await expectGolden('drill/failed.txt', `${text.stdout()}Error: ${human.failure(r)}\n`);
    const json = capture();
    const view = new DrillJson(json);
    play(view, r);
    await expectGolden('drill/failed.json', json.stdout());
    assert.equal(view.failure(), null);
  });

  test('a phase that failed with an error', () => {
    const r: DrillResult = {
      vm: 'web',
      rounds: 1,
      ok: false,
      phases: [
        round(1, ['alpha', 'beta'])[0]!,
        { name: 'failover to the secondary', round: 1, ok: false, ms: 12, error: 'web: no QEMU of web runs on beta' },
      ],
    };
    const text = capture();
    const human = new DrillHuman(text, 'web');
    play(human, r);
    assert.match(
      text.stdout(),
      /\ndrill web: failover to the secondary: FAILED after 12 ms: web: no QEMU of web runs on beta\n$/,
    );
    assert.equal(human.failure(r), 'drill web failed at "failover to the secondary": web: no QEMU of web runs on beta');
  });
});

describe('apply views (without a terminal)', () => {
  const create = () => {
    const spec = webSpec();
    return plan(
      spec,
      null,
      observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
        web: [gone('alpha'), gone('beta')],
      }),
    );
  };

  test('plain progress lines and the summary', async () => {
    const p = create();
    const text = capture();
    const view = new ApplyHuman(text, plainStyle, false);
    assert.equal(view.progress().runner, undefined, 'no listr2 without a terminal');
    runSteps(view.progress().hooks, p.steps);
    view.summary({ plan: p, changes: { add: p.steps.length, change: 0, remove: 0 } });
    await expectGolden('apply/create-plain.txt', text.stdout());
    const json = capture();
    const jv = new ApplyJson(json, clock);
    runSteps(jv.progress().hooks, p.steps);
    jv.summary({ plan: p, changes: { add: p.steps.length, change: 0, remove: 0 } });
    await expectGolden('apply/create.jsonl', json.stdout());
  });

  test('a failed step: the rest of the pair skipped, apply_failed as the last JSON line', async () => {
    const p = reprotectPlan();
    const text = capture();
    const view = new ApplyHuman(text, plainStyle, false);
    runSteps(view.progress().hooks, p.steps, 0);
    await expectGolden('apply/failed-plain.txt', text.stdout());
    const err = new ApplyError(
      'apply failed for 1 step; 0 of 3 steps done\n  web: stopped at vm.web.secondary.images (secondary-images): ' +
        'blockdev-mirror: GenericError: Could not open image\n    now: primary QEMU running on beta (pid 4242); ' +
        'status failed\nFix the cause and run "colo apply" again: it continues from the state the hosts are in.',
      [
        {
          vm: 'web',
          step: p.steps[0]!,
          error: new QmpError('blockdev-mirror', 'GenericError', 'Could not open image'),
        },
      ],
    );
    const before = text.stdout();
    view.failed(err);
    assert.equal(text.stdout(), before, 'the human view adds nothing: the error goes to stderr');
    const json = capture();
    const jv = new ApplyJson(json, clock);
    runSteps(jv.progress().hooks, p.steps, 0);
    jv.failed(err);
    await expectGolden('apply/failed.jsonl', json.stdout());
  });

  test('nothing to do, and pairs apply cannot repair', async () => {
    const healthy = plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec()));
    const spec = webSpec();
    const blocked = plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), obsHost('beta')], {
        web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
      }),
    );
    assert.equal(blocked.steps.length, 0);
    const zero = { add: 0, change: 0, remove: 0 };
    const text = capture();
    const human = new ApplyHuman(text, plainStyle, false);
    human.summary({ plan: healthy, changes: zero });
    human.summary({ plan: blocked, changes: zero });
    await expectGolden('apply/no-changes-and-blocked.txt', `${text.stdout()}Error: ${human.blockedFailure(blocked)}\n`);
    const json = capture();
    const jv = new ApplyJson(json, clock);
    jv.summary({ plan: healthy, changes: zero });
    jv.summary({ plan: blocked, changes: zero });
    await expectGolden('apply/no-changes-and-blocked.jsonl', json.stdout());
    assert.equal(jv.blockedFailure(), null, 'change_summary lists them; no error line');
  });

  test('destroy: its own summary', () => {
    const p = plan(webSpec(), state({ web: vmState() }), healthyWeb(webSpec()), 'destroy');
    const text = capture();
    new ApplyHuman(text, plainStyle, false).summary({
      plan: p,
      changes: { add: 0, change: 0, remove: p.steps.length },
    });
    assert.equal(text.stdout(), `\nDestroy complete! Resources: ${p.steps.length} destroyed.\n`);
  });
});
