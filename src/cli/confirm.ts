/** Terraform-style confirmation: only "yes" approves; without a terminal it refuses to guess. */
import { createInterface } from 'node:readline/promises';
import { UserError } from './user-error.ts';

export async function confirmOrFail(question: string, detail: string, flag = '--auto-approve'): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new UserError(`no terminal to ask for confirmation: pass ${flag} to run without a prompt`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `${question}\n  ${detail}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
    );
    if (answer.trim() !== 'yes') throw new UserError('cancelled: nothing was changed');
  } finally {
    rl.close();
  }
}
