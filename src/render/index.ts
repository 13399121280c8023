/**
 * Rendering: Spec -> what colo runs, per VM and role, as data. Pure. Command lines (argv.ts), and
 * every QMP sequence and remote script as recipes (recipes/); `renderVmRecipes` bundles all of a
 * VM's recipes (what `colo render` prints).
 */
export * from './argv.ts';
export * from './dialect.ts';
export * from './ids.ts';
export * from './image-prep.ts';
export * from './paths.ts';
export * from './placement.ts';
export * from './qemu-syntax.ts';
export * from './recipes/index.ts';
