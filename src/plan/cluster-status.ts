/**
 * `crm_mon -1 --output-as=xml` -> the cluster's view that `colo status` shows beside QEMU's: nodes
 * (online, DC, unclean), quorum, per resource its role on each node (so per pair clone the promoted
 * side) and the failed actions. Pure; throws XmlError on malformed XML.
 */
import { child, childrenNamed, descendants, parseXml, XmlError } from './xml-tree.ts';

export interface ClusterNodeView {
  name: string;
  online: boolean;
  dc: boolean;
  unclean: boolean;
  standby: boolean;
}

export interface ClusterResourceView {
  id: string;
  /** The clone it belongs to, when it is a clone instance. */
  clone?: string;
  agent: string;
  role: string;
  node?: string;
  failed: boolean;
}

export interface ClusterFailedAction {
  opKey: string;
  node: string;
  exitReason: string;
  exitStatus: string;
  lastRcChange?: string;
}

export interface ClusterStatusView {
  dc?: string;
  quorate: boolean;
  nodes: ClusterNodeView[];
  resources: ClusterResourceView[];
  failedActions: ClusterFailedAction[];
}

const yes = (v: string | undefined): boolean => v === 'true';

export function parseClusterStatus(xml: string): ClusterStatusView {
  const root = parseXml(xml);
  if (root.name !== 'pacemaker-result' && root.name !== 'crm_mon') {
    throw new XmlError(`expected <pacemaker-result>, got <${root.name}>`);
  }
  const dcEl = child(child(root, 'summary'), 'current_dc');
  const nodes = childrenNamed(child(root, 'nodes'), 'node').map((n) => ({
    name: n.attrs['name'] ?? '',
    online: yes(n.attrs['online']),
    dc: yes(n.attrs['is_dc']),
    unclean: yes(n.attrs['unclean']),
    standby: yes(n.attrs['standby']),
  }));
  const resources: ClusterResourceView[] = [];
  const rsc = child(root, 'resources');
  for (const e of rsc?.children ?? []) {
    const clone = e.name === 'clone' ? e.attrs['id'] : undefined;
    const instances = e.name === 'resource' ? [e] : e.name === 'clone' ? childrenNamed(e, 'resource') : [];
    for (const r of instances) {
      const on = childrenNamed(r, 'node').map((n) => n.attrs['name'] ?? '');
      for (const node of on.length > 0 ? on : [undefined]) {
        resources.push({
          id: r.attrs['id'] ?? '',
          ...(clone !== undefined ? { clone } : {}),
          agent: r.attrs['resource_agent'] ?? '',
          role: r.attrs['role'] ?? '',
          ...(node !== undefined ? { node } : {}),
          failed: yes(r.attrs['failed']),
        });
      }
    }
  }
  const failedActions = descendants(root, 'failure').map((f) => ({
    opKey: f.attrs['op_key'] ?? f.attrs['task'] ?? '',
    node: f.attrs['node'] ?? '',
    exitReason: f.attrs['exitreason'] ?? '',
    exitStatus: f.attrs['exitstatus'] ?? '',
    ...(f.attrs['last-rc-change'] !== undefined ? { lastRcChange: f.attrs['last-rc-change'] } : {}),
  }));
  return {
    ...(yes(dcEl?.attrs['present']) && dcEl?.attrs['name'] ? { dc: dcEl.attrs['name'] } : {}),
    quorate: yes(dcEl?.attrs['with_quorum']),
    nodes,
    resources,
    failedActions,
  };
}

/** The node running the promoted copy of a clone, if any. */
export function promotedNode(s: ClusterStatusView, cloneId: string): string | undefined {
  return s.resources.find((r) => r.clone === cloneId && r.role === 'Promoted')?.node;
}
