/**
 * TLS on every replication channel, end to end (real QEMU with GnuTLS, real sshd, the tiny guest):
 * a pair whose spec has `tls:` reaches COLO, fails over and is re-protected, both ways; clients
 * without credentials are refused on the migration, NBD, mirror and compare ports; and the
 * replication traffic captured on the lab's loopback (tcpdump) carries none of the guest's boot id,
 * which the guest keeps in memory and writes into every continuity record on its disk. The control:
 * the same capture of a plain pair finds the boot id, and a plain NBD client gets in, so the checks
 * can fail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { bytesPerPort, markerCounts, readFlows, startCapture, type Capture } from '../helpers/capture.ts';
import { colo, eventually, httpGet, parseGuestAnswer, startLab, type TestLab } from '../helpers/lab.ts';
import { nbdInfo, plainClient, sClient } from '../helpers/tls-probes.ts';

const ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;
type Host = keyof typeof ADDR;

interface Ports {
  migration: number;
  nbd: number;
  mirror: number;
  compare: number;
}

/** The lab VM's replication ports: allocated from ports.base in the order migration, nbd, mirror, compare. */
async function labPorts(lab: TestLab): Promise<Ports> {
  const spec = parse(await readFile(lab.spec, 'utf8')) as { defaults: { ports: { base: number } } };
  const b = spec.defaults.ports.base;
  return { migration: b, nbd: b + 1, mirror: b + 2, compare: b + 3 };
}

async function statusChannels(lab: TestLab): Promise<Record<string, string>> {
  const r = await colo(['status', '-f', lab.spec, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const vm = (JSON.parse(r.stdout) as { vms: { channels: { channel: string; mode: string }[] }[] }).vms[0]!;
  return Object.fromEntries(vm.channels.map((c) => [c.channel, c.mode]));
}

async function apply(lab: TestLab): Promise<void> {
  const r = await colo(['apply', '-f', lab.spec, '--auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /in COLO/);
}

/**
 * Captures the replication ports from before the first apply (the NBD mirror and the RAM copy) through
 * a few seconds of COLO with requests (checkpoints, replicated writes, compared answers).
 */
async function captureApply(lab: TestLab, ports: Ports, file: string) {
  const list = [ports.migration, ports.nbd, ports.mirror, ports.compare];
  const cap: Capture = await startCapture(file, list);
  await apply(lab);
  const port = lab.vms[0]!.servicePort;
  const a = parseGuestAnswer(await eventually('guest answers', () => httpGet(ADDR.alpha, port, 5000), 60_000));
  for (let i = 0; i < 8; i++) {
    await httpGet(ADDR.alpha, port, 10_000);
    await new Promise((r) => setTimeout(r, 500));
  }
  const closing = await cap.stop();
  const flows = await readFlows(file);
  return { boot: a.boot, flows, list, closing };
}

describe('TLS on every replication channel', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let ports: Ports;
  let ca: string;
  let captured: Awaited<ReturnType<typeof captureApply>>;
  before(async () => {
    lab = await startLab({ tls: true, guestArgs: 'colo_records=200' });
    ports = await labPorts(lab);
    ca = path.join(lab.dir, 'tls', 'ca', 'ca-cert.pem');
    captured = await captureApply(lab, ports, path.join(lab.dir, 'tls-capture.pcap'));
  });
  after(async () => {
    await lab?.down();
  });

  test('the pair reaches COLO; status and verify say every channel is tls', async () => {
    assert.deepEqual(await statusChannels(lab), { migration: 'tls', nbd: 'tls', proxy: 'tls' });
    const v = await colo(['verify', '-f', lab.spec, '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const checks = (JSON.parse(v.stdout) as { vms: { checks: { name: string; ok: boolean; detail: string }[] }[] })
      .vms[0]!.checks;
    const tls = checks.find((c) => c.name === 'tls')!;
    assert.equal(tls.ok, true, tls.detail);
    assert.match(tls.detail, /every channel is tls.*a plain NBD client is refused/);
  });

  test("the captured replication traffic carries none of the guest's boot id", () => {
    const bytes = bytesPerPort(captured.flows, captured.list);
    // every channel was captured, the RAM copy (128 MiB guest) with it
    for (const p of captured.list) assert.ok(bytes[p]! > 1000, `port ${p}: ${bytes[p]} bytes captured`);
    assert.ok(bytes[ports.migration]! > 10_000_000, `migration: ${bytes[ports.migration]} bytes`);
    assert.deepEqual(
      markerCounts(captured.flows, captured.boot, captured.list),
      Object.fromEntries(captured.list.map((p) => [p, 0])),
    );
    assert.deepEqual(markerCounts(captured.flows, 'COLOREC1', captured.list)[ports.nbd], 0);
  });

  test('clients without credentials are refused on the migration and NBD ports', async () => {
    // migration (the secondary's listener): plain bytes are dropped; TLS needs a client certificate
    assert.equal(await plainClient(ADDR.beta, ports.migration), 'closed');
    const m = sClient(ADDR.beta, ports.migration, ca);
    assert.ok(m.serverVerified, `no TLS server with the lab CA on the migration port:\n${m.output}`);
    assert.equal(m.established, false, `a session without a client certificate:\n${m.output}`);
    // NBD: a plain client is told TLS is required; with alpha's client credentials it gets in
    const plain = nbdInfo(ADDR.beta, ports.nbd, 'disk0');
    assert.notEqual(plain.code, 0, plain.output);
    assert.match(plain.output, /TLS negotiation required|not permitted before TLS/);
    const creds = nbdInfo(ADDR.beta, ports.nbd, 'disk0', path.join(lab.dir, 'tls', 'alpha'));
    assert.equal(creds.code, 0, creds.output);
    // the secondary shrugged the junk off: still in COLO
    assert.equal((await statusChannels(lab)).migration, 'tls');
    const s = await colo(['status', '-f', lab.spec]);
    assert.match(s.stdout, /PROTECTED/);
  });

  async function kill(host: Host): Promise<void> {
    const pid = (await lab.pid(host))!;
    process.kill(pid, 'SIGKILL');
    await eventually(`QEMU on ${host} gone`, async () => assert.equal(await lab.pid(host), null), 10_000);
  }

  test('primary lost: failover to the secondary, then re-protected with TLS from beta', async () => {
    await kill('alpha');
    const f = await colo(['failover', '-f', lab.spec, '--to', 'secondary']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    await apply(lab);
    assert.deepEqual(await statusChannels(lab), { migration: 'tls', nbd: 'tls', proxy: 'tls' });
    const plain = nbdInfo(ADDR.alpha, ports.nbd, 'disk0');
    assert.match(plain.output, /TLS negotiation required|not permitted before TLS/);
  });

  test('secondary lost: failover to the primary; its free proxy ports refuse clients without credentials', async () => {
    await kill('alpha');
    const f = await colo(['failover', '-f', lab.spec, '--to', 'primary']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    // beta runs alone: its mirror and compare servers (re-created with TLS) wait for a secondary
    for (const port of [ports.mirror, ports.compare]) {
      assert.equal(await plainClient(ADDR.beta, port), 'closed', `port ${port} kept a plain client`);
      const r = sClient(ADDR.beta, port, ca);
      assert.ok(r.serverVerified, `no TLS server with the lab CA on port ${port}:\n${r.output}`);
      assert.equal(r.established, false, `port ${port}: a session without a client certificate:\n${r.output}`);
    }
    // the probe's own control: with alpha's client certificate the session is kept
    const alpha = path.join(lab.dir, 'tls', 'alpha');
    const cert = { cert: path.join(alpha, 'client-cert.pem'), key: path.join(alpha, 'client-key.pem') };
    const withCert = sClient(ADDR.beta, ports.mirror, ca, cert, 4000);
    assert.ok(withCert.established, `no session with a client certificate:\n${withCert.output}`);
    await apply(lab);
    assert.deepEqual(await statusChannels(lab), { migration: 'tls', nbd: 'tls', proxy: 'tls' });
    const v = await colo(['verify', '-f', lab.spec]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});

describe('the control: a plain pair', { timeout: 600_000 }, () => {
  let lab: TestLab;
  let ports: Ports;
  before(async () => {
    lab = await startLab({ guestArgs: 'colo_records=200' });
    ports = await labPorts(lab);
  });
  after(async () => {
    await lab?.down();
  });

  test('the same capture finds the boot id in the clear, a plain NBD client gets in, status says plain', async () => {
    const c = await captureApply(lab, ports, path.join(lab.dir, 'plain-capture.pcap'));
    const counts = markerCounts(c.flows, c.boot, c.list);
    process.stderr.write(`plain pair: boot id ${c.boot} seen per port ${JSON.stringify(counts)}\n`);
    assert.ok(counts[ports.migration]! > 0, `boot id not in the plain migration stream: ${JSON.stringify(counts)}`);
    assert.ok(counts[ports.nbd]! > 0, `boot id not in the plain NBD stream: ${JSON.stringify(counts)}`);
    assert.ok(markerCounts(c.flows, 'COLOREC1', c.list)[ports.nbd]! > 0);
    assert.equal(nbdInfo(ADDR.beta, ports.nbd, 'disk0').code, 0);
    assert.deepEqual(await statusChannels(lab), { migration: 'plain', nbd: 'plain', proxy: 'plain' });
    const v = await colo(['verify', '-f', lab.spec, '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /TLS is off for this pair: migration plain, nbd plain, proxy plain/);
  });
});
