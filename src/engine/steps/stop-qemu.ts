/**
 * Stopping a VM's QEMU on a host: SIGTERM, wait, then SIGKILL (a wedged QEMU ignores SIGTERM), and
 * confirm it is gone. Idempotent: nothing running is success.
 */
import { socketPaths, vmPaths } from '../../render/paths.ts';
import type { VmSpec } from '../../spec/types.ts';
import type { Session } from '../session.ts';
import type { StepContext } from './run-step.ts';
import { stepVm } from './step-helpers.ts';

/** Fixed script: $1 pid file, $2 grace seconds. Prints "gone" or "alive". */
const STOP_SCRIPT = [
  'pf="$1"; grace="$2"; shift 2',
  // a zombie (exited, not yet reaped) counts as gone
  'running() { [ -d "/proc/$1" ] && ! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null; }',
  '[ -r "$pf" ] || { rm -f "$@"; echo gone; exit 0; }',
  'pid=$(tr -dc 0-9 < "$pf")',
  '[ -n "$pid" ] || { rm -f "$pf" "$@"; echo gone; exit 0; }',
  // only our QEMU: its cmdline names this pid file
  'if [ -r "/proc/$pid/cmdline" ] && tr "\\0" "\\n" < "/proc/$pid/cmdline" | grep -qxF -- "$pf"; then :; else ' +
    'rm -f "$pf" "$@"; echo gone; exit 0; fi',
  'kill -TERM "$pid" 2>/dev/null',
  'i=0; while running "$pid" && [ $i -lt $((grace * 10)) ]; do sleep 0.1; i=$((i + 1)); done',
  'if running "$pid"; then kill -KILL "$pid" 2>/dev/null; i=0; while running "$pid" && [ $i -lt 50 ]; do sleep ' +
    '0.1; i=$((i + 1)); done; fi',
  // then the unix sockets a killed QEMU leaves behind (the remaining arguments)
  'if running "$pid"; then echo alive; else rm -f "$pf" "$@"; echo gone; fi',
].join('\n');

export async function stopVmQemu(
  session: Session,
  vm: VmSpec | { name: string; pidFile: string },
  host: string,
  graceSeconds = 3,
): Promise<void> {
  const pidFile = 'pidFile' in vm ? vm.pidFile : vmPaths(session.spec, vm, host).pidFile;
  session.dropQmp(host, vm.name);
  const sockets = 'pidFile' in vm ? [] : socketPaths(vmPaths(session.spec, vm, host));
  const res = await session
    .transport(host)
    .run(['sh', '-c', STOP_SCRIPT, 'colo-stop', pidFile, String(graceSeconds), ...sockets], {
      timeoutMs: (graceSeconds + 10) * 1000,
    });
  if (res.code !== 0 || !res.stdout.includes('gone')) {
    throw new Error(
      `could not stop the QEMU of ${vm.name} on ${host} (pid file ${pidFile}): ${res.stdout.trim()} ` +
        `${res.stderr.trim()}`.trim(),
    );
  }
}

function vmForStop(ctx: StepContext): VmSpec | { name: string; pidFile: string } {
  const vm = ctx.spec.vms.find((v) => v.name === ctx.step.vm);
  if (vm) return vm;
  // A VM only the state knows (removed from the spec): its files follow the same layout.
  const host = ctx.spec.hosts[ctx.step.host ?? ''];
  if (!host) throw new Error(`${ctx.step.address}: host ${ctx.step.host} is not in the spec`);
  const dir = `${host.workDir.replace(/\/$/, '')}/${ctx.step.vm}`;
  return { name: ctx.step.vm ?? '', pidFile: `${dir}/qemu.pid` };
}

export async function stopSecondary(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  await stopVmQemu(ctx.session, vmForStop(ctx), host);
  await ctx.updateVm(ctx.step.vm!, (prev) => {
    if (!prev) return prev;
    const started = { ...prev.started };
    delete started[host];
    return { ...prev, started, status: prev.status === 'protected' ? 'degraded' : prev.status };
  });
  return 'stopped';
}

export async function stopPrimary(ctx: StepContext): Promise<string | undefined> {
  const host = ctx.step.host!;
  await stopVmQemu(ctx.session, vmForStop(ctx), host, 5);
  await ctx.updateVm(ctx.step.vm!, (prev) => {
    if (!prev) return prev;
    const started = { ...prev.started };
    delete started[host];
    return { ...prev, started, status: 'applying' };
  });
  void stepVm;
  return 'stopped';
}
