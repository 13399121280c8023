/** aliasTargets: every alias resolved to the nearest earlier anchor of its name, in one walk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAlias, parseDocument, visit } from 'yaml';
import type { Alias } from 'yaml';
import { aliasTargets } from '../../../src/spec/yaml-document.ts';

test('aliases resolve to the nearest earlier anchor, like yaml itself; unknown ones to undefined', () => {
  const doc = parseDocument('a: &x 1\nb: *x\nc: &x { k: 2 }\nd: *x\ne: *nope\nf: [*x, &y 3, *y]\n');
  const targets = aliasTargets(doc);
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_k, n) => void aliases.push(n) });
  assert.equal(aliases.length, 5);
  for (const a of aliases) {
    assert.ok(isAlias(a));
    // the library's own (slow) resolution is the reference
    assert.equal(targets.get(a), a.resolve(doc), `alias *${a.source}`);
  }
  assert.equal(targets.get(aliases[2]!), undefined, '*nope has no anchor');
  assert.deepEqual(
    (targets.get(aliases[1]!) as { toJSON(): unknown }).toJSON(),
    { k: 2 },
    'the second *x is the re-defined anchor',
  );
});
