/**
 * `colo tls init`: a private CA and, per host, the x509 files QEMU's tls-creds-x509 reads
 * (ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem), for a lab or a
 * first try. The openssl CLI does the cryptography (Node cannot sign certificates), always as an argv,
 * never through a shell. ECDSA P-256 keys; each certificate names the host's replication address as
 * its subjectAltName, which is what the other QEMU checks when it connects.
 *
 * Layout under DIR (directories 0700, keys 0600): `ca/ca-cert.pem`, `ca/ca-key.pem` (kept and reused
 * when present, so hosts can be added later) and `<host>/` with the five files. A host directory that
 * exists is refused, not overwritten. Nothing secret is printed: the result lists paths and the
 * certificates' SHA-256 fingerprints.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TlsInitHost {
  name: string;
  /** The address the other host's QEMU connects to (the certificate's subjectAltName). */
  address: string;
}

export interface TlsInitOptions {
  dir: string;
  hosts: TlsInitHost[];
  /** openssl binary (default: `openssl` on PATH). */
  openssl?: string;
  /** Validity of the host certificates in days (default 825); the CA gets 3650. */
  days?: number;
}

export interface TlsInitResult {
  caDir: string;
  /** true when ca/ca-key.pem was already there and signed the new certificates. */
  caReused: boolean;
  hosts: { name: string; dir: string; subjectAltName: string; fingerprints: Record<string, string> }[];
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'] as const;

/** The subjectAltName of a host's certificates: an IP entry for an address, a DNS entry for a name. */
export function subjectAltName(address: string): string {
  return isIP(address) ? `IP:${address}` : `DNS:${address}`;
}

/** openssl argv of the self-signed CA certificate (pure). */
export function caArgv(config: string, caDir: string): string[] {
  return [
    'req',
    '-config',
    config,
    '-x509',
    ...CURVE,
    '-keyout',
    path.join(caDir, 'ca-key.pem'),
    '-out',
    path.join(caDir, 'ca-cert.pem'),
    '-days',
    '3650',
    '-subj',
    '/CN=colo private CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
  ];
}

/** openssl argv of one host certificate (server or client), signed by the CA (pure). */
export function hostCertArgv(
  config: string,
  caDir: string,
  host: TlsInitHost,
  role: 'server' | 'client',
  hostDir: string,
  days: number,
): string[] {
  return [
    'req',
    '-config',
    config,
    '-x509',
    '-CA',
    path.join(caDir, 'ca-cert.pem'),
    '-CAkey',
    path.join(caDir, 'ca-key.pem'),
    ...CURVE,
    '-keyout',
    path.join(hostDir, `${role}-key.pem`),
    '-out',
    path.join(hostDir, `${role}-cert.pem`),
    '-days',
    String(days),
    '-subj',
    `/CN=${host.name}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext',
    `extendedKeyUsage=${role === 'server' ? 'serverAuth' : 'clientAuth'}`,
    '-addext',
    `subjectAltName=${subjectAltName(host.address)}`,
    '-addext',
    'authorityKeyIdentifier=keyid',
  ];
}

function run(binary: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, argv, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${binary} not found` : stderr.trim();
        reject(new Error(`openssl ${argv[0]} failed: ${why || err.message}`));
      } else resolve(stdout);
    });
  });
}

async function fingerprint(openssl: string, cert: string): Promise<string> {
  const out = await run(openssl, ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']);
  return out.trim().replace(/^.*=/, '');
}

/** A private directory: created 0700, or refused when it exists open to others. */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((st.mode & 0o077) !== 0)
    throw new Error(`${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it first`);
}

export async function tlsInit(opts: TlsInitOptions): Promise<TlsInitResult> {
  const openssl = opts.openssl ?? 'openssl';
  const days = opts.days ?? 825;
  const dir = path.resolve(opts.dir);
  for (const h of opts.hosts) {
    if (existsSync(path.join(dir, h.name)))
      throw new Error(`${path.join(dir, h.name)} exists: remove it to make new certificates for ${h.name}`);
  }
  await privateDir(dir);
  const caDir = path.join(dir, 'ca');
  await privateDir(caDir);
  const work = await mkdtemp(path.join(tmpdir(), 'colo-tls-'));
  try {
    // A minimal openssl config: the system one would add its own extensions to -x509 certificates.
    const config = path.join(work, 'openssl.cnf');
    await writeFile(config, '[req]\ndistinguished_name = dn\n[dn]\n', { mode: 0o600 });
    const caReused = existsSync(path.join(caDir, 'ca-key.pem'));
    if (!caReused) await run(openssl, caArgv(config, caDir));
    await chmod(path.join(caDir, 'ca-key.pem'), 0o600);
    const hosts: TlsInitResult['hosts'] = [];
    for (const h of opts.hosts) {
      const hostDir = path.join(dir, h.name);
      await privateDir(hostDir);
      await copyFile(path.join(caDir, 'ca-cert.pem'), path.join(hostDir, 'ca-cert.pem'));
      for (const role of ['server', 'client'] as const) {
        await run(openssl, hostCertArgv(config, caDir, h, role, hostDir, days));
        await chmod(path.join(hostDir, `${role}-key.pem`), 0o600);
      }
      const fingerprints: Record<string, string> = {};
      for (const f of ['server-cert.pem', 'client-cert.pem'])
        fingerprints[f] = await fingerprint(openssl, path.join(hostDir, f));
      hosts.push({ name: h.name, dir: hostDir, subjectAltName: subjectAltName(h.address), fingerprints });
    }
    return { caDir, caReused, hosts };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
