/**
 * The plan renderings (src/ui/views/plan/plan-human.ts, src/ui/views/plan/plan-json.ts), pinned as
 * golden files under test/fixtures/golden/plan/ for plans made by the real planner. `npm run
 * golden:update` rewrites them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlanHuman } from '../../../src/ui/views/plan/plan-human.ts';
import { renderPlanJson } from '../../../src/ui/views/plan/plan-json.ts';
import { ansiStyle, plainStyle } from '../../../src/ui/style.ts';
import type { Plan } from '../../../src/plan/plan-model.ts';
import type { ObservedQemu } from '../../../src/plan/observed.ts';
import {
  healthyPrimary,
  healthySecondary,
  healthyWeb,
  obsHost,
  observation,
  plan,
  secondaryArgv,
  state,
  vmOf,
  startedAsRunning,
  vmState,
  webSpec,
} from '../plan/plan-fixtures.ts';
import { expectGolden } from '../../helpers/golden.ts';

const gone = (host: string): ObservedQemu => ({ host, alive: false });

/** Each case: a plan from the real planner. */
const CASES: Record<string, () => Plan> = {
  create: () => {
    const spec = webSpec();
    return plan(
      spec,
      null,
      observation([obsHost('alpha'), obsHost('beta', { workDirExists: false })], {
        web: [gone('alpha'), gone('beta')],
      }),
    );
  },
  'no-changes': () => {
    const spec = webSpec();
    return plan(spec, state({ web: vmState() }), healthyWeb(spec));
  },
  'update-checkpoint': () => {
    const spec = webSpec({ compareTimeout: '2s' });
    return plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(webSpec(), { migrateParams: { 'x-checkpoint-delay': 5000 } }),
    );
  },
  'replace-memory': () => {
    // colo started the QEMUs as they run; the spec changed the memory: a spec change, not drift.
    const spec = webSpec({ memory: '256M' });
    return plan(spec, state({ web: vmState({ started: startedAsRunning(webSpec()) }) }), healthyWeb(webSpec()));
  },
  'secondary-gone': () => {
    const spec = webSpec();
    return plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), obsHost('beta')], {
        web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta'), gone('beta')],
      }),
    );
  },
  'virtio-disabled': () => {
    const spec = webSpec();
    return plan(
      spec,
      state({ web: vmState() }),
      healthyWeb(spec, {}, { virtioDisabled: ['/machine/peripheral/nic-net0/virtio-backend'] }),
    );
  },
  'secondary-argv-drift': () => {
    const spec = webSpec({ extraSecondary: ['-trace', 'colo_receive_message'] });
    return plan(spec, state({ web: vmState() }), healthyWeb(webSpec()));
  },
  'blocked-primary-gone': () => {
    const spec = webSpec();
    return plan(
      spec,
      state({ web: vmState() }),
      observation([obsHost('alpha'), obsHost('beta')], {
        web: [gone('alpha'), healthySecondary(spec, vmOf(spec), 'beta', 'alpha')],
      }),
    );
  },
  'blocked-secondary-host-down': () => {
    const spec = webSpec();
    return plan(
      spec,
      state({ web: vmState() }),
      observation(
        [
          obsHost('alpha'),
          { name: 'beta', reachable: false, error: 'connect ECONNREFUSED 127.0.0.12:2222', workDirExists: false },
        ],
        { web: [healthyPrimary(spec, vmOf(spec), 'alpha', 'beta')] },
      ),
    );
  },
  'degraded-after-failover': () => {
    const spec = webSpec();
    const vm = vmOf(spec);
    const promoted = healthyPrimary(spec, vm, 'beta', 'alpha', {
      argv: secondaryArgv(spec, vm, 'beta', 'alpha'),
      startedAs: 'secondary',
      coloMode: 'none',
      coloReason: 'request',
      migrateStatus: 'none',
      objects: ['type', 'rew-net0'],
      quorumChildren: { 'colo-disk0': ['childs-disk0'] },
    });
    const st = state({
      web: vmState({
        primaryHost: 'beta',
        secondaryHost: 'alpha',
        primaryOrigin: 'promoted-secondary',
        status: 'degraded',
      }),
    });
    return plan(spec, st, observation([obsHost('alpha'), obsHost('beta')], { web: [gone('alpha'), promoted] }));
  },
  'removed-vm': () => {
    const spec = webSpec({ withApi: true, withoutWeb: true });
    const api = vmOf(spec, 'api');
    const obs = observation([obsHost('alpha'), obsHost('beta')], {
      api: [healthyPrimary(spec, api, 'alpha', 'beta'), healthySecondary(spec, api, 'beta', 'alpha')],
      web: [
        { host: 'alpha', alive: true, pid: 4242 },
        { host: 'beta', alive: true, pid: 5151 },
      ],
    });
    return plan(spec, state({ web: vmState(), api: vmState({ created: {} }) }), obs);
  },
  destroy: () => {
    const spec = webSpec();
    return plan(spec, state({ web: vmState() }), healthyWeb(spec), 'destroy');
  },
  'refresh-only-drift': () => {
    const spec = webSpec();
    return plan(spec, state({ web: vmState() }), healthyWeb(spec, { objects: ['type'] }), 'refresh-only');
  },
  'refresh-only-clean': () => {
    const spec = webSpec();
    return plan(spec, state({ web: vmState() }), healthyWeb(spec), 'refresh-only');
  },
};

const summaryLine = (text: string) =>
  text.split('\n').find((l) => l.startsWith('Plan: ') || l.startsWith('No changes'));

describe('plan renderings: golden files', () => {
  for (const [name, make] of Object.entries(CASES)) {
    test(`${name}: human`, async () => {
      await expectGolden(`plan/${name}.txt`, renderPlanHuman(make(), plainStyle));
    });
    test(`${name}: json`, async () => {
      await expectGolden(`plan/${name}.json`, renderPlanJson(make()));
    });
  }

  test('saved with -out: says how to apply exactly that plan', async () => {
    await expectGolden(
      'plan/create-saved.txt',
      renderPlanHuman(CASES['create']!(), plainStyle, { savedTo: 'web.plan' }),
    );
  });

  test("shown before apply's confirmation: no -out note", async () => {
    await expectGolden(
      'plan/create-for-apply.txt',
      renderPlanHuman(CASES['create']!(), plainStyle, { forApply: true }),
    );
  });
});

describe('plan-human: summary line', () => {
  const expected: Record<string, string> = {
    create: 'Plan: 5 to add, 0 to change, 0 to destroy.',
    'no-changes': 'No changes. Your infrastructure matches the configuration.',
    'update-checkpoint': 'Plan: 0 to add, 1 to change, 0 to destroy.',
    'replace-memory': 'Plan: 5 to add, 0 to change, 2 to destroy.',
    'secondary-gone': 'Plan: 3 to add, 1 to change, 0 to destroy.',
    'virtio-disabled': 'Plan: 4 to add, 1 to change, 1 to destroy.',
    'blocked-primary-gone': 'No changes planned: apply cannot repair this.',
    'blocked-secondary-host-down': 'No changes planned: apply cannot repair this.',
    'degraded-after-failover': 'Plan: 3 to add, 0 to change, 0 to destroy.',
    'removed-vm': 'Plan: 0 to add, 0 to change, 3 to destroy.',
    destroy: 'Plan: 0 to add, 0 to change, 3 to destroy.',
    'refresh-only-clean': 'No changes. Your infrastructure still matches the configuration.',
  };
  for (const [name, line] of Object.entries(expected)) {
    test(name, () => {
      assert.equal(summaryLine(renderPlanHuman(CASES[name]!(), plainStyle)), line);
    });
  }

  test('a plan with changes ends with the -out note after the summary', () => {
    const text = renderPlanHuman(CASES['create']!(), plainStyle);
    assert.ok(
      text.endsWith(
        `Plan: 5 to add, 0 to change, 0 to destroy.\n\nNote: You didn't use the -out option to save this plan, ` +
          `so colo can't guarantee to take exactly these actions if you run "colo apply" now.\n`,
      ),
    );
  });

  test('blocked pairs without steps: never "matches the configuration"', () => {
    const text = renderPlanHuman(CASES['blocked-primary-gone']!(), plainStyle);
    assert.ok(text.includes('Warning: web cannot be repaired by apply\n  the primary QEMU on alpha is gone;'));
    assert.ok(text.includes('  To resolve: colo failover web --to secondary\n'));
    assert.ok(
      text.endsWith('No changes planned: apply cannot repair this.\n\n1 pair needs your action (see above).\n'),
    );
    assert.ok(!text.includes('matches the configuration'));
  });

  test('refresh-only with drift plans nothing and says so', () => {
    const text = renderPlanHuman(CASES['refresh-only-drift']!(), plainStyle);
    assert.ok(text.includes('Note: Objects have changed outside of colo'));
    assert.ok(text.endsWith('This is a refresh-only plan: colo plans no actions.\n'));
    assert.equal(summaryLine(text), undefined);
  });

  test('symbols and forces-replacement marker', () => {
    const text = renderPlanHuman(CASES['replace-memory']!(), plainStyle);
    assert.ok(text.includes('-/+ primary-stop\n      ~ machine.memory = "128M" -> "256M" # forces replacement\n'));
    assert.ok(text.includes('  # vm.web.primary on alpha must be replaced\n'));
    assert.ok(text.includes('  - secondary-stop\n'));
    assert.ok(text.includes('  + primary-start\n'));
    assert.ok(text.includes('Warning: replacing the primary of web restarts its guest (a reboot)\n'));
  });
});

describe('plan-human: colours', () => {
  const strip = (s: string) => s.replace(/\u001b\[\d+m/g, '');
  for (const name of Object.keys(CASES)) {
    test(`${name}: ANSI styling changes nothing but colour`, () => {
      const coloured = renderPlanHuman(CASES[name]!(), ansiStyle);
      assert.equal(strip(coloured), renderPlanHuman(CASES[name]!(), plainStyle));
    });
  }
  test('actions are coloured: create green, update yellow, replace and delete red', () => {
    const text = renderPlanHuman(CASES['virtio-disabled']!(), ansiStyle);
    assert.ok(text.includes('\u001b[32m  +\u001b[39m secondary-images'));
    assert.ok(text.includes('\u001b[33m  ~\u001b[39m primary-leave-colo'));
    assert.ok(text.includes('\u001b[31m-/+\u001b[39m secondary-stop'));
    assert.ok(renderPlanHuman(CASES['destroy']!(), ansiStyle).includes('\u001b[31m  -\u001b[39m primary-stop'));
  });
});

describe('plan-json', () => {
  test('document shape: Terraform-like resource_changes, replace as delete+create, summary', () => {
    const doc = JSON.parse(renderPlanJson(CASES['replace-memory']!())) as Record<string, unknown> & {
      resource_changes: {
        address: string;
        kind: string;
        vm: string | null;
        host: string | null;
        action_reason: string;
        change: { actions: string[]; attributes: unknown[] };
      }[];
    };
    assert.deepEqual(Object.keys(doc), [
      'format_version',
      'colo_version',
      'mode',
      'timestamp',
      'spec_file',
      'state',
      'roles',
      'resource_drift',
      'blocked',
      'resource_changes',
      'warnings',
      'advice',
      'summary',
      'changes',
    ]);
    assert.equal(doc['format_version'], '1.0');
    assert.deepEqual(doc['state'], { lineage: '8d0b7a52-3c1e-4f43-9a57-0f6a1c2b9e10', serial: 7 });
    assert.deepEqual(doc['summary'], { add: 5, change: 0, destroy: 2 });
    assert.equal(doc['changes'], true);
    assert.deepEqual(doc.resource_changes[0], {
      address: 'vm.web.primary',
      kind: 'primary-stop',
      vm: 'web',
      host: 'alpha',
      action_reason: 'the spec changed a setting QEMU only takes at start',
      change: {
        actions: ['delete', 'create'],
        attributes: [{ path: 'machine.memory', before: '128M', after: '256M', forcesReplacement: true }],
      },
    });
    assert.deepEqual(
      doc.resource_changes.map((r) => r.change.actions.join('+')),
      ['delete+create', 'delete', 'create', 'create', 'create', 'create'],
    );
  });

  test('host-prepare has no VM: null, not absent', () => {
    const doc = JSON.parse(renderPlanJson(CASES['create']!())) as {
      resource_changes: { vm: unknown; host: unknown }[];
    };
    assert.deepEqual(doc.resource_changes[0], {
      address: 'host.beta',
      kind: 'host-prepare',
      vm: null,
      host: 'beta',
      action_reason: 'work directory /var/lib/colo',
      change: { actions: ['create'], attributes: [] },
    });
  });

  test('no changes: changes false, empty lists', () => {
    const doc = JSON.parse(renderPlanJson(CASES['no-changes']!())) as Record<string, unknown>;
    assert.equal(doc['changes'], false);
    assert.deepEqual(doc['resource_changes'], []);
    assert.deepEqual(doc['resource_drift'], []);
    assert.deepEqual(doc['summary'], { add: 0, change: 0, destroy: 0 });
  });
});
