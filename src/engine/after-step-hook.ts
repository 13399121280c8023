/**
 * A test hook the engine calls after each step it completes: a step of apply or destroy (its plan
 * step kind) or a step of failover ('fence', 'promote', as src/render/recipes/vm-recipes.ts names
 * them). Production runs without one. The CLI builds it from COLO_TEST_HOOKS=1 and COLO_FAULT_* only
 * (src/cli/fault-injection.ts), so the fault tests can kill colo, cut its SSH connection or kill a
 * QEMU right after a given step.
 */
export interface AfterStepHook {
  /** `step`: the step's kind (or failover step name); `host`: the host it worked on; `address`: the resource. */
  (done: { step: string; host?: string; address: string }): Promise<void>;
}
