/** Small helpers for QEMU's option syntax. Pure. */

/** Escape a value for QemuOpts (`key=value,key=value`): a literal comma is written twice. */
export function optValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** `key=value` pairs joined for a QemuOpts argument; values are escaped. */
export function opts(head: string, pairs: ReadonlyArray<readonly [string, string | number]>): string {
  const parts = pairs.map(([k, v]) => `${k}=${typeof v === 'number' ? String(v) : optValue(v)}`);
  return [head, ...parts].join(',');
}

/** `host:port`, bracketing IPv6 literals, as in `tcp:HOST:PORT` URIs. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
