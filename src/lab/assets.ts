/**
 * The test environment's slow-to-build assets, built once by the project's scripts and cached
 * (under ${COLO_CACHE:-~/.cache/colo}):
 * - the patched QEMU 7.2 (scripts/build-qemu.sh): Debian's source plus two TCG-only COLO fixes;
 * - the tiny guest (scripts/build-guest.sh): Debian cloud kernel + busybox initramfs.
 * The scripts do the caching; a cached run returns in well under a second.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';

/**
 * Debian's firmware directories (seabios: bios-256k.bin; ipxe-qemu: efi-virtio.rom for
 * virtio-net-pci; qemu-system-data). The lab QEMU is built to search them itself, as Debian's
 * build does; passing each as `-L DIR` is harmless and needed for QEMUs built without that.
 */
export const LAB_FIRMWARE_DIRS: readonly string[] = ['/usr/share/seabios', '/usr/share/qemu', '/usr/lib/ipxe/qemu'];

export interface LabQemu {
  /** Absolute path of the patched qemu-system-x86_64. */
  binary: string;
  /** Pass each as `-L DIR`. */
  firmwareDirs: string[];
}

export interface LabGuest {
  kernel: string;
  initrd: string;
  /** Kernel command line the guest is built for: `console=ttyS0 quiet panic=1`. */
  cmdline: string;
  kernelVersion: string;
}

export interface AssetOptions {
  /** Cache root (COLO_CACHE for the script); default: the environment's or ~/.cache/colo. */
  cacheDir?: string;
  /** Where the script's stdout and stderr are appended; default: `<cacheDir>/logs/<script>.log`. */
  logFile?: string;
  /** Also copy the script's output to this stream (e.g. process.stderr). */
  echo?: Writable;
  /** Abort after this many milliseconds (default: 30 minutes for QEMU, 5 minutes for the guest). */
  timeoutMs?: number;
  /** Extra environment for the script. */
  env?: Record<string, string>;
}

export class LabAssetError extends Error {
  constructor(
    readonly script: string,
    message: string,
    readonly logFile: string,
  ) {
    super(message);
    this.name = 'LabAssetError';
  }
}

/** The package root: src/lab/assets.ts and dist/lab/assets.js both sit two levels below it. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['COLO_CACHE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = env['HOME'];
  if (home === undefined || home === '') throw new Error('neither COLO_CACHE nor HOME is set');
  return path.join(home, '.cache', 'colo');
}

export interface ScriptRun {
  code: number;
  /** Last non-empty stdout line ('' when none). */
  lastLine: string;
  stdout: string;
  logFile: string;
  durationMs: number;
}

/** Run `bash scripts/<name>` from the package root, output streamed to the log; returns its stdout. */
export async function runAssetScript(
  name: string,
  opts: AssetOptions & { defaultTimeoutMs: number; args?: string[]; okCodes?: number[] },
): Promise<ScriptRun> {
  const root = packageRoot();
  const script = path.join(root, 'scripts', name);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const logFile = opts.logFile ?? path.join(cacheDir, 'logs', `${path.basename(name, '.sh')}.log`);
  if (!existsSync(script)) throw new LabAssetError(name, `${script} not found (package root ${root})`, logFile);
  const log = await openLog(logFile);
  const started = Date.now();
  const args = opts.args ?? [];
  log.write(`\n=== ${new Date(started).toISOString()} bash ${[script, ...args].join(' ')}\n`);

  const timeoutMs = opts.timeoutMs ?? opts.defaultTimeoutMs;
  const child = spawn('bash', [script, ...args], {
    cwd: root,
    env: { ...process.env, ...opts.env, COLO_CACHE: cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so a timeout can stop the whole build
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out.push(chunk);
    log.write(chunk);
    opts.echo?.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    opts.echo?.write(chunk);
  });
  const guard = guardGroup(child.pid, timeoutMs);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c, s) => resolve({ code: c, signal: s }));
      },
    );
    const durationMs = Date.now() - started;
    const stdout = Buffer.concat(out).toString('utf8');
    log.write(`=== exit ${code ?? signal} after ${durationMs} ms\n`);
    if (guard.timedOut) {
      throw new LabAssetError(name, `scripts/${name} timed out after ${timeoutMs} ms (log: ${logFile})`, logFile);
    }
    if (code === null || !(opts.okCodes ?? [0]).includes(code)) {
      throw new LabAssetError(
        name,
        `scripts/${name} failed (${code === null ? `signal ${signal}` : `exit ${code}`}); log: ${logFile}`,
        logFile,
      );
    }
    return { code, lastLine: lastLineOf(stdout), stdout, logFile, durationMs };
  } finally {
    guard.dispose();
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

/** The script's log, opened for appending (its directory created). */
async function openLog(logFile: string): Promise<WriteStream> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    log.once('open', () => resolve());
    log.once('error', reject);
  });
  return log;
}

/** Last non-empty line, trimmed ('' when none). */
function lastLineOf(stdout: string): string {
  return (
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop() ?? ''
  );
}

/**
 * Stops the script's process group after `timeoutMs` (SIGTERM, then SIGKILL), and when we exit or are
 * interrupted (then lets the signal do what it would have done). `dispose` removes the timer and handlers.
 */
function guardGroup(pid: number | undefined, timeoutMs: number): { readonly timedOut: boolean; dispose(): void } {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), 5000).unref();
  }, timeoutMs);
  const onExit = (): void => killGroup(pid, 'SIGTERM');
  const onSignal = (sig: NodeJS.Signals): void => {
    killGroup(pid, 'SIGTERM');
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Build (or reuse) the patched test QEMU; returns its path and firmware dirs. */
export async function ensureLabQemu(opts: AssetOptions = {}): Promise<LabQemu> {
  const run = await runAssetScript('build-qemu.sh', { ...opts, defaultTimeoutMs: 30 * 60_000 });
  return labQemuFrom(run);
}

/** The patched test QEMU if it is already cached (never builds); undefined when it is not. */
export async function cachedLabQemu(opts: AssetOptions = {}): Promise<LabQemu | undefined> {
  const run = await runAssetScript('build-qemu.sh', {
    ...opts,
    args: ['--cached-only'],
    okCodes: [0, 3],
    defaultTimeoutMs: 60_000,
  });
  return run.code === 3 ? undefined : labQemuFrom(run);
}

function labQemuFrom(run: ScriptRun): LabQemu {
  const binary = run.lastLine;
  if (!path.isAbsolute(binary) || !existsSync(binary)) {
    throw new LabAssetError(
      'build-qemu.sh',
      `scripts/build-qemu.sh printed ${JSON.stringify(binary)}, not a binary path`,
      run.logFile,
    );
  }
  return { binary, firmwareDirs: [...LAB_FIRMWARE_DIRS] };
}

/** Build (or reuse) the test guest; returns kernel, initrd and the command line to boot them with. */
export async function ensureGuest(opts: AssetOptions = {}): Promise<LabGuest> {
  const run = await runAssetScript('build-guest.sh', { ...opts, defaultTimeoutMs: 5 * 60_000 });
  const guest = parseGuestLine(run.lastLine);
  if (guest === undefined) {
    throw new LabAssetError(
      'build-guest.sh',
      `scripts/build-guest.sh printed ${JSON.stringify(run.lastLine)}, not the guest JSON`,
      run.logFile,
    );
  }
  for (const file of [guest.kernel, guest.initrd]) {
    if (!existsSync(file)) throw new LabAssetError('build-guest.sh', `${file} is missing`, run.logFile);
  }
  return guest;
}

/** Parse build-guest.sh's last line: {"kernel","initrd","cmdline","kernelVersion"}. */
export function parseGuestLine(line: string): LabGuest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { kernel, initrd, cmdline, kernelVersion } = v;
  if (
    typeof kernel !== 'string' ||
    typeof initrd !== 'string' ||
    typeof cmdline !== 'string' ||
    typeof kernelVersion !== 'string'
  ) {
    return undefined;
  }
  return { kernel, initrd, cmdline, kernelVersion };
}
