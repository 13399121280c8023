/**
 * Limits on a spec before it is parsed: its size, and how deeply its YAML nests. A spec far larger
 * than any fleet, or nested far deeper than the schema allows, is refused with one message instead
 * of minutes of parsing or the YAML engine's "Maximum call stack size exceeded".
 */
import type { CST } from 'yaml';

/** About 100 times a 1,000-VM spec written out in full. */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

/** The schema nests 8 levels (vms.web.netdevs[0].hostForwards[0].hostPort); the rest is margin. */
export const MAX_YAML_DEPTH = 64;

/** The message for a spec of `bytes` bytes when that is over the limit. */
export function sizeProblem(bytes: number): string | undefined {
  if (bytes <= MAX_SPEC_BYTES) return undefined;
  return (
    `the spec is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES} bytes (8 MiB); split it, or share ` +
    `settings through defaults and anchors`
  );
}

/** The first place (offset) where collections nest deeper than `limit`, found without recursion. */
export function tooDeepAt(tokens: readonly CST.Token[], limit = MAX_YAML_DEPTH): number | undefined {
  const stack: { token: CST.Token | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token | undefined; depth: number };
    if (!token) continue;
    switch (token.type) {
      case 'document':
        stack.push({ token: token.value, depth });
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > limit) return token.offset;
        for (const item of token.items) {
          const key = 'key' in item ? item.key : undefined;
          stack.push({ token: key ?? undefined, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}
