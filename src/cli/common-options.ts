/** Options shared by the commands that read the spec and reach the hosts. */
import { Command } from '@commander-js/extra-typings';

export interface SpecOptions {
  file: string;
  state?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  color: boolean;
  json?: boolean;
}

/** A subcommand with the shared spec/host options; the action receives them typed as SpecOptions & T. */
export function specCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-f, --file <path>', 'spec file', 'colo.yaml')
    .option('--state <path>', 'state file (default: .colo/state.json beside the spec file)')
    .option('--known-hosts <path>', 'known_hosts file used to verify host keys (default: ~/.ssh/known_hosts)')
    .option('--accept-new-host-keys', 'trust and record the keys of hosts not yet in known_hosts (never a changed key)')
    .option('--no-color', 'no ANSI colours in the output')
    .option('--json', 'machine-readable JSON output') as unknown as Command;
}
