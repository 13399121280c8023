/**
 * Fence secrets (src/engine/fence-env.ts): `fence.envFile` is in the schema, read locally and passed
 * to the fence command as environment, never in argv; its values are redacted from the error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fenceEachHostOnce } from '../../../src/engine/fence.ts';
import { parseEnvFile, redactValues } from '../../../src/engine/fence-env.ts';
import { loadSpecText } from '../../../src/spec/index.ts';
import { SPEC_ENV } from '../spec/spec-env.ts';
import { webSpec } from '../plan/plan-fixtures.ts';

const SECRET = 's3cr3t-Pa55w0rd';

describe('fence.envFile', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'colo-fence-env-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the schema takes fence.envFile (a local path, ~/ expanded)', async () => {
    const text = (await readFile(new URL('../../../examples/fleet.yaml', import.meta.url), 'utf8')).replace(
      /fence:\n(\s+)command:/,
      'fence:\n$1envFile: ~/.config/colo/fence.env\n$1command:',
    );
    const { spec, diagnostics } = loadSpecText(text, 'fleet.yaml', SPEC_ENV);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const fenced = Object.values(spec!.hosts).find((h) => h.fence?.envFile !== undefined);
    assert.equal(fenced?.fence?.envFile, '/home/tester/.config/colo/fence.env');
  });

  test('its values reach the command as environment, not argv, and are redacted from the refusal', async () => {
    const envFile = path.join(root, 'fence.env');
    await writeFile(envFile, `# IPMI\nexport IPMI_USER=ops\nIPMI_PASSWORD="${SECRET}"\n\n`, { mode: 0o600 });
    const base = webSpec();
    const command = ['sh', '-c', 'echo "login $IPMI_USER/$IPMI_PASSWORD refused"; exit 4'];
    const spec = {
      ...base,
      hosts: { ...base.hosts, beta: { ...base.hosts.beta!, fence: { command, timeoutMs: 5000, envFile } } },
    };
    await assert.rejects(fenceEachHostOnce(spec, [])('beta', 'down'), (e: Error) => {
      assert.equal(e.name, 'FailoverRefused');
      assert.match(e.message, /fencing beta failed: sh exited 4: login ops\/\[redacted\] refused/);
      assert.ok(!e.message.includes(SECRET), e.message);
      return true;
    });
  });

  test('a missing env file and a bad line are refusals naming the file (and line)', async () => {
    const base = webSpec();
    const envFile = path.join(root, 'missing.env');
    const spec = {
      ...base,
      hosts: { ...base.hosts, beta: { ...base.hosts.beta!, fence: { command: ['true'], timeoutMs: 5000, envFile } } },
    };
    await assert.rejects(fenceEachHostOnce(spec, [])('beta', 'down'), /cannot read the fence env file .*missing\.env/);
    assert.throws(() => parseEnvFile('A=1\nthis is not a pair\n', '/x/f.env'), /^FailoverRefused: \/x\/f\.env:2: /);
  });

  test('redaction replaces values of 4 characters or more, longest first', () => {
    assert.equal(redactValues('a abcd abcdef', { X: 'abcd', Y: 'abcdef', Z: 'a' }), 'a [redacted] [redacted]');
  });
});
