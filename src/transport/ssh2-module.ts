/** ssh2 takes ~100 ms to load: only commands that connect to a host load it. */
type Ssh2 = typeof import('ssh2');
let ssh2Module: Ssh2 | undefined;

export async function loadSsh2(): Promise<Ssh2> {
  // A CommonJS module: its exports object is the default export.
  const m = (await import('ssh2')) as Ssh2 & { default?: Ssh2 };
  ssh2Module ??= m.default ?? m;
  return ssh2Module;
}
