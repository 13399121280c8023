/**
 * Capturing replication traffic in the lab: tcpdump on the loopback interface (both lab hosts live on
 * 127.0.0.x), filtered to the given TCP ports, written to a pcap file; and a reader that puts every
 * TCP flow's payload back together (in capture order) so a test can search the bytes that crossed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface Capture {
  file: string;
  /** Stops tcpdump (SIGINT, so it flushes) and resolves once it exited; returns its closing lines. */
  stop(): Promise<string>;
}

/** Starts `tcpdump -i lo` for the ports; resolves once it listens. */
export async function startCapture(file: string, ports: number[]): Promise<Capture> {
  const filter = `tcp and (${ports.map((p) => `port ${p}`).join(' or ')})`;
  const p: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-B', '65536', '-U', '-w', file, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()));
  return {
    file,
    async stop() {
      p.kill('SIGINT');
      await exited;
      return err.trim();
    },
  };
}

export interface Flow {
  /** "a.b.c.d:port>e.f.g.h:port" */
  key: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** Every TCP flow of a pcap (Ethernet link type, as Linux records lo), its payloads concatenated. */
export async function readFlows(file: string): Promise<Flow[]> {
  const b = await readFile(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)}, expected Ethernet (1)`);
  const parts = new Map<string, { srcPort: number; dstPort: number; chunks: Buffer[] }>();
  for (let o = 24; o + 16 <= b.length;) {
    const len = u32(o + 8);
    const pkt = b.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (pkt.length < 14 + 20 || pkt.readUInt16BE(12) !== 0x0800) continue; // IPv4 only
    const ip = pkt.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    if (ip[9] !== 6) continue; // TCP
    const tcp = ip.subarray(ihl, total);
    const dataOff = (tcp[12]! >> 4) * 4;
    const payload = tcp.subarray(dataOff);
    if (payload.length === 0) continue;
    const srcPort = tcp.readUInt16BE(0);
    const dstPort = tcp.readUInt16BE(2);
    const key = `${ip.subarray(12, 16).join('.')}:${srcPort}>${ip.subarray(16, 20).join('.')}:${dstPort}`;
    const f = parts.get(key) ?? { srcPort, dstPort, chunks: [] };
    f.chunks.push(Buffer.from(payload));
    parts.set(key, f);
  }
  return [...parts].map(([key, f]) => ({
    key,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    payload: Buffer.concat(f.chunks),
  }));
}

/** How often `marker` occurs in the flows to or from each port. */
export function markerCounts(flows: Flow[], marker: string, ports: number[]): Record<number, number> {
  const out: Record<number, number> = Object.fromEntries(ports.map((p) => [p, 0]));
  const m = Buffer.from(marker);
  for (const f of flows) {
    const port = ports.find((p) => p === f.srcPort || p === f.dstPort);
    if (port === undefined) continue;
    for (let i = f.payload.indexOf(m); i !== -1; i = f.payload.indexOf(m, i + 1)) out[port]! += 1;
  }
  return out;
}

/** Payload bytes seen on each port (both directions). */
export function bytesPerPort(flows: Flow[], ports: number[]): Record<number, number> {
  const out: Record<number, number> = Object.fromEntries(ports.map((p) => [p, 0]));
  for (const f of flows) {
    const port = ports.find((p) => p === f.srcPort || p === f.dstPort);
    if (port !== undefined) out[port]! += f.payload.length;
  }
  return out;
}
