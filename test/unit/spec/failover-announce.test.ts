// failover.announce in the spec: on by default with QEMU's defaults, off with false, a mapping's keys
// over the defaults, inherited from defaults.failover key by key; bad values get clear messages at
// their line.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from './spec-env.ts';

function spec(vmFailover: string, defaults = ''): string {
  return `apiVersion: colo/v1
${defaults ? `defaults:\n  failover: ${defaults}\n` : ''}hosts:
  a: { ssh: { address: 127.0.0.11 } }
  b: { ssh: { address: 127.0.0.12 } }
vms:
  web:
    primary: a
    secondary: b
    disks: [{ image: /i.qcow2, size: 64M }]
${vmFailover ? `    failover: ${vmFailover}\n` : ''}`;
}

function load(text: string) {
  const r = loadSpecText(text, 's.yaml', SPEC_ENV);
  return { spec: r.spec, messages: r.diagnostics.map(formatDiagnostic) };
}

function announce(text: string) {
  const { spec: s, messages } = load(text);
  assert.deepEqual(messages, []);
  return s!.vms[0]!.failover.announce;
}

const QEMU_DEFAULTS = { rounds: 5, initialMs: 50, maxMs: 550, stepMs: 100 };

describe('failover.announce', () => {
  test('absent or true: on, with QEMU defaults; false: off', () => {
    assert.deepEqual(announce(spec('')), QEMU_DEFAULTS);
    assert.deepEqual(announce(spec('{ announce: true }')), QEMU_DEFAULTS);
    assert.equal(announce(spec('{ announce: false }')), false);
  });

  test('a mapping: its keys over the defaults, durations with units', () => {
    assert.deepEqual(announce(spec('{ announce: { rounds: 3, step: 1s } }')), {
      rounds: 3,
      initialMs: 50,
      maxMs: 550,
      stepMs: 1000,
    });
    assert.deepEqual(announce(spec('{ announce: { initial: 0, max: 2s } }')), {
      ...QEMU_DEFAULTS,
      initialMs: 0,
      maxMs: 2000,
    });
  });

  test('inherited from defaults.failover; the VM wins', () => {
    assert.equal(announce(spec('', '{ announce: false }')), false);
    assert.deepEqual(announce(spec('{ announce: true }', '{ announce: false }')), QEMU_DEFAULTS);
    assert.deepEqual(announce(spec('{ announce: { step: 200ms } }', '{ announce: { rounds: 8 } }')), {
      ...QEMU_DEFAULTS,
      rounds: 8,
      stepMs: 200,
    });
  });

  test('bad values: the line and what is allowed', () => {
    const cases: [string, RegExp][] = [
      ['{ announce: { rounds: 0 } }', /s\.yaml:10:\d+: .*rounds.*(>= 1|at least 1|minimum)/i],
      ['{ announce: { rounds: 1001 } }', /s\.yaml:10:\d+: .*rounds/],
      [
        '{ announce: { step: 0ms } }',
        /vms\.web\.failover\.announce\.step: must be 1ms to 10000ms \(QEMU's bounds\), not 0ms/,
      ],
      ['{ announce: { initial: 101s } }', /announce\.initial: must be 0ms to 100000ms/],
      ['{ announce: { step: 1.5ms } }', /not a whole number of milliseconds/],
      ['{ announce: { initial: 1s, max: 500ms } }', /announce\.max: 500ms is shorter than initial \(1000ms\)/],
      ['{ announce: { every: 1s } }', /s\.yaml:10:\d+: .*every/],
      ['{ announce: yes }', /s\.yaml:10:\d+: .*announce/],
      ['{ annonce: false }', /s\.yaml:10:\d+: .*annonce/],
    ];
    for (const [failover, want] of cases) {
      const { messages } = load(spec(failover));
      assert.ok(messages.length > 0, `${failover}: expected an error`);
      assert.match(messages.join('\n'), want, failover);
    }
    const { messages } = load(spec('', '{ announce: { max: 200s } }'));
    assert.match(messages.join('\n'), /defaults\.failover\.announce\.max: must be 0ms to 100000ms/);
  });
});
