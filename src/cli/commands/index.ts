/**
 * The exit-code callback `colo render` (render.ts) still takes; every other command's action
 * resolves to its exit code (src/cli/exit-code.ts). Nothing here imports a command: no cycle.
 */
export type SetExitCode = (code: number) => void;
