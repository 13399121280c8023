import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { quoteArg, quoteArgv, withEnv } from '../../../src/render/shell-quote.ts';

const NASTY = [
  'plain',
  'with space',
  "single ' quote",
  "''",
  'double " quote',
  '$(touch /tmp/colo-pwned)',
  '`id`',
  'a; rm -rf /',
  'line1\nline2\n',
  '',
  'tab\there',
  'ünïcødé ✓ 日本',
  '$HOME ${PATH} $1 $@ $*',
  '*?[a-z]',
  '~root',
  '\\backslash\\',
  'a=b',
  '-n',
  '!bang',
  '& | > < ( ) { }',
  '#comment',
  '\r\u0001\u007f',
];

/** Let a real shell parse the quoted line and report argv back NUL-separated. */
function roundTrip(shell: string, args: string[]): string[] {
  const line = quoteArgv(['printf', '%s\\0', ...args]);
  const r = spawnSync(shell, ['-c', line], { encoding: 'buffer' });
  assert.equal(r.status, 0, `${shell} failed: ${r.stderr.toString()}`);
  const parts = r.stdout.toString('utf8').split('\0');
  assert.equal(parts.pop(), '');
  return parts;
}

describe('quoteArg', () => {
  test('leaves safe words bare and quotes the rest', () => {
    assert.equal(quoteArg('/usr/bin/qemu-system-x86_64'), '/usr/bin/qemu-system-x86_64');
    assert.equal(quoteArg(''), "''");
    assert.equal(quoteArg('a b'), "'a b'");
    assert.equal(quoteArg("it's"), "'it'\\''s'");
    assert.equal(quoteArg('a=b'), "'a=b'");
    assert.equal(quoteArg('~'), "'~'");
  });
  test('refuses NUL', () => {
    assert.throws(() => quoteArg('a\0b'), /NUL/);
  });
  test('refuses an empty argv', () => {
    assert.throws(() => quoteArgv([]), /empty argv/);
  });
});

describe('quoteArgv through real shells', () => {
  for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/zsh']) {
    test(`${shell} sees every byte`, { skip: existsSync(shell) ? false : `${shell} not installed` }, () => {
      assert.deepEqual(roundTrip(shell, NASTY), NASTY);
    });
  }
  test('each nasty value alone, as the only argument', () => {
    for (const v of NASTY) assert.deepEqual(roundTrip('/bin/sh', [v]), [v]);
  });
  test('no command substitution happened', () => {
    roundTrip('/bin/sh', ['$(echo injected > /dev/stderr)', '`echo injected >&2`']);
    const r = spawnSync('/bin/sh', ['-c', quoteArgv(['echo', '$(echo injected >&2)'])], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '$(echo injected >&2)\n');
  });
});

describe('withEnv', () => {
  test('prefixes env with validated names', () => {
    assert.deepEqual(withEnv(['prog', 'x'], { A: '1', B_2: 'x y' }), ['env', 'A=1', 'B_2=x y', 'prog', 'x']);
    assert.deepEqual(withEnv(['prog'], undefined), ['prog']);
    assert.throws(() => withEnv(['prog'], { 'A;B': '1' }), /invalid environment variable name/);
    assert.throws(() => withEnv(['X=1'], { A: '1' }), /contains '='/);
  });
  test('values arrive intact', () => {
    const line = quoteArgv(withEnv(['sh', '-c', 'printf %s "$V"'], { V: "it's $(x)\n" }));
    const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
    assert.equal(r.stdout, "it's $(x)\n");
  });
});
