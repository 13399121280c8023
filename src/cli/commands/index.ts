/** Registers every colo command on the program. */
import type { Command } from '@commander-js/extra-typings';
import { registerValidate } from './validate.ts';

export type SetExitCode = (code: number) => void;

export function registerCommands(program: Command, setExit: SetExitCode): void {
  registerValidate(program, setExit);
}
