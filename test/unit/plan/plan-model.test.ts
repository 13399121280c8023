/** src/plan/plan-model.ts: Terraform-style counting of a plan's steps. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planHasChanges, summarizePlan, type Action, type PlannedStep } from '../../../src/plan/plan-model.ts';

const step = (action: Action, i = 0): PlannedStep => ({
  address: `vm.web.s${i}`,
  action,
  kind: 'secondary-stop',
  reason: '',
  changes: [],
});

describe('summarizePlan', () => {
  test('empty plan', () => {
    assert.deepEqual(summarizePlan({ steps: [] }), { add: 0, change: 0, destroy: 0 });
    assert.equal(planHasChanges({ steps: [] }), false);
  });

  test('one of each action', () => {
    assert.deepEqual(summarizePlan({ steps: [step('create')] }), { add: 1, change: 0, destroy: 0 });
    assert.deepEqual(summarizePlan({ steps: [step('update')] }), { add: 0, change: 1, destroy: 0 });
    assert.deepEqual(summarizePlan({ steps: [step('delete')] }), { add: 0, change: 0, destroy: 1 });
  });

  test('replace counts as one add and one destroy', () => {
    assert.deepEqual(summarizePlan({ steps: [step('replace')] }), { add: 1, change: 0, destroy: 1 });
    assert.equal(planHasChanges({ steps: [step('replace')] }), true);
  });

  test('a mix adds up', () => {
    const steps = (['create', 'create', 'update', 'replace', 'delete', 'replace', 'create'] as Action[]).map(step);
    assert.deepEqual(summarizePlan({ steps }), { add: 5, change: 1, destroy: 3 });
  });
});
