/** `colo verify` for people: per pair OK or FAILED, then each check; the failed checks name the cause. */
import type { VmVerification } from '../../../engine/verify.ts';
import type { Style } from '../../style.ts';
import type { Output } from '../output.ts';
import type { VerifyView } from './verify-view.ts';
import { adviceLines } from '../status/figures-text.ts';

export function renderVerification(list: VmVerification[], st: Style): string {
  const out: string[] = [];
  for (const v of list) {
    out.push(
      `${st.bold(v.vm)}: ${v.ok ? st.green('OK') : st.red('FAILED')} (${v.primary} primary, ${v.secondary} ` +
        `secondary, ${v.ms} ms)`,
    );
    for (const c of v.checks)
      out.push(`  ${c.ok ? st.green('ok  ') : st.red('FAIL')} ${c.name.padEnd(11)} ${c.detail}`);
    out.push(...adviceLines(v.advice, st));
  }
  return `${out.join('\n')}\n`;
}

/** The failed checks of one pair, in a line. */
export function failedChecks(v: VmVerification): string {
  return v.checks
    .filter((c) => !c.ok)
    .map((c) => c.detail)
    .join('; ');
}

export class VerifyHuman implements VerifyView {
  constructor(
    private readonly output: Output,
    private readonly style: Style,
  ) {}

  verified(list: VmVerification[]): void {
    this.output.out(renderVerification(list, this.style));
  }

  failure(list: VmVerification[]): string {
    const failed = list.filter((v) => !v.ok).map((v) => `${v.vm}: ${failedChecks(v)}`);
    return `verify failed for ${failed.length} pair${failed.length === 1 ? '' : 's'}: ${failed.join(' | ')}`;
  }
}
