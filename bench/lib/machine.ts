/**
 * Machine details printed and recorded with every result: the figures depend on them (CPU, cores,
 * memory, kernel, Node, QEMU) and on what else runs (load average before/after, busiest processes).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { cachedLabQemu } from '../../src/lab/assets.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  qemu: string;
  qemuBinary: string;
  /** Guest accelerator of the lab (TCG: no KVM in the lab spec). */
  accel: string;
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown';
  let qemu = 'not found';
  let qemuBinary = '';
  try {
    const q = await cachedLabQemu();
    if (q) {
      qemuBinary = q.binary;
      qemu = execFileSync(q.binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
    } else qemu = 'lab QEMU not built yet (scripts/build-qemu.sh)';
  } catch (e) {
    qemu = `unknown (${(e as Error).message.split('\n')[0]})`;
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    qemu,
    qemuBinary,
    accel: 'tcg (lab spec: machine.accel tcg)',
  };
}

export interface LoadSnapshot {
  at: string;
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
  /** Processes that used the most CPU during a one-second sample (other than this benchmark). */
  busiest: string[];
}

/** utime+stime ticks per pid, with the command name. */
function cpuTicks(): Map<number, { ticks: number; comm: string }> {
  const out = new Map<number, { ticks: number; comm: string }>();
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = readFileSync(`/proc/${ent}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.set(Number(ent), { ticks: Number(f[11]) + Number(f[12]), comm });
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function loadSnapshot(sampleMs = 1000): Promise<LoadSnapshot> {
  const [a, b, c] = os.loadavg();
  const before = cpuTicks();
  await new Promise((r) => setTimeout(r, sampleMs));
  const after = cpuTicks();
  const hz = 100; // USER_HZ on Linux
  const busiest = [...after.entries()]
    .filter(([pid]) => pid !== process.pid)
    .map(([pid, v]) => ({
      pid,
      comm: v.comm,
      pct: ((v.ticks - (before.get(pid)?.ticks ?? v.ticks)) / hz / (sampleMs / 1000)) * 100,
    }))
    .filter((x) => x.pct >= 5)
    .sort((x, y) => y.pct - x.pct)
    .slice(0, 5)
    .map((x) => `${x.comm} (pid ${x.pid}) ${Math.round(x.pct)}% CPU`);
  return { at: new Date().toISOString(), loadavg: [round2(a!), round2(b!), round2(c!)], busiest };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
