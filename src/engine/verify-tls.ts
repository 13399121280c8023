/**
 * `colo verify`'s tls check: which replication channels are encrypted (src/plan/channel-security.ts)
 * and, on a TLS pair, that the secondary's NBD server refuses a plain client (the one channel QEMU 7.2
 * reports no TLS state for). A TLS pair passes only when every channel is tls; a plain pair passes and
 * says which channels are plain.
 */
import type { Spec, VmSpec } from '../spec/types.ts';
import type { Observation } from '../plan/observed.ts';
import type { Roles } from '../plan/roles.ts';
import { channelSecurity } from '../plan/channel-security.ts';
import { NBD_TLS_REQUIRED, renderNbdPlainProbe } from '../render/recipes/tls-probe.ts';
import type { Session } from './session.ts';
import { runScriptRecipe } from './run-recipe-script.ts';

/** Runs the plain NBD probe; returns a problem, or undefined when the server refused it for want of TLS. */
async function nbdRefusesPlain(session: Session, spec: Spec, vm: VmSpec, roles: Roles): Promise<string | undefined> {
  const recipe = renderNbdPlainProbe(spec, vm, {
    primary: roles.primary,
    secondary: roles.secondary,
    primaryPromoted: false,
    primaryHasProxyChardevs: true,
  });
  if (!recipe) return undefined;
  try {
    const r = await runScriptRecipe(session.transport(roles.primary), recipe);
    const text = `${r.stdout}\n${r.stderr}`;
    if (r.code !== 0 && NBD_TLS_REQUIRED.test(text)) return undefined;
    if (r.code === 0) return `the NBD server on ${roles.secondary} let a plain (no TLS) client in`;
    return `the plain NBD probe from ${roles.primary} failed otherwise: ${text.trim().split('\n').pop()}`;
  } catch (e) {
    return `the plain NBD probe from ${roles.primary} did not run: ${(e as Error).message}`;
  }
}

export async function tlsCheck(
  session: Session,
  spec: Spec,
  vm: VmSpec,
  roles: Roles,
  obs: Observation,
): Promise<{ ok: boolean; detail: string }> {
  const channels = channelSecurity(vm, obs.vms[vm.name]?.qemu[roles.primary], obs.vms[vm.name]?.qemu[roles.secondary]);
  const summary = channels.map((c) => `${c.channel} ${c.mode}`).join(', ');
  if (!vm.tls) return { ok: true, detail: `TLS is off for this pair: ${summary}` };
  const problems = channels.filter((c) => c.mode !== 'tls').map((c) => `${c.channel} is ${c.mode} (${c.detail})`);
  const nbd = await nbdRefusesPlain(session, spec, vm, roles);
  if (nbd) problems.push(nbd);
  return problems.length === 0
    ? { ok: true, detail: `every channel is tls: ${summary}; a plain NBD client is refused` }
    : { ok: false, detail: problems.join('; ') };
}
