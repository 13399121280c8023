/**
 * How a fleet of VM pairs maps onto corosync clusters (docs/CLUSTER.md says why): a host can be a
 * member of one corosync cluster only, so the hosts the pairs connect (a pair joins its two hosts)
 * form one cluster each: the connected components of the pair graph. Two hosts make a two-node
 * cluster; three or more one cluster with majority quorum and each clone kept on its pair's hosts
 * by a location constraint. Pure; hosts sorted by name, node ids 1.. in that order.
 */

export interface PairPlacement {
  vm: string;
  primary: string;
  secondary: string;
}

export interface ClusterLayout {
  /** corosync cluster_name: `<prefix>-<first host>`. */
  name: string;
  /** Member hosts, sorted by name; nodeid = index + 1. */
  hosts: string[];
  /** The pairs this cluster runs, sorted by VM name. */
  pairs: PairPlacement[];
}

export function clusterLayouts(prefix: string, pairs: readonly PairPlacement[]): ClusterLayout[] {
  const parent = new Map<string, string>();
  const find = (h: string): string => {
    let root = h;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(h, root);
    return root;
  };
  for (const p of pairs) {
    for (const h of [p.primary, p.secondary]) if (!parent.has(h)) parent.set(h, h);
    const [a, b] = [find(p.primary), find(p.secondary)].sort() as [string, string];
    parent.set(b, a);
  }
  const groups = new Map<string, { hosts: Set<string>; pairs: PairPlacement[] }>();
  for (const p of pairs) {
    const root = find(p.primary);
    const g = groups.get(root) ?? { hosts: new Set<string>(), pairs: [] };
    g.hosts.add(p.primary).add(p.secondary);
    g.pairs.push(p);
    groups.set(root, g);
  }
  return [...groups.values()]
    .map((g) => {
      const hosts = [...g.hosts].sort();
      return {
        name: `${prefix}-${hosts[0] ?? ''}`,
        hosts,
        pairs: [...g.pairs].sort((x, y) => (x.vm < y.vm ? -1 : x.vm > y.vm ? 1 : 0)),
      };
    })
    .sort((x, y) => (x.name < y.name ? -1 : 1));
}
