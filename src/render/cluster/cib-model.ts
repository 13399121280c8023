/**
 * The part of a Pacemaker CIB colo owns, as data: cluster properties (in the `cib-bootstrap-options`
 * set, where crm_attribute writes too), resources whose id starts with `colo-` (one promotable clone
 * per VM pair, one stonith device per host) and location constraints whose id starts with `colo-`.
 * Built from the spec by cib-desired.ts, from `cibadmin -Q` by src/plan/cib-observed.ts, rendered
 * as XML by cib-xml.ts; src/plan/cluster-diff.ts compares two of them. Anything else in the CIB
 * (the user's own resources, crm_resource's cli-* constraints, status) is not colo's and is left alone.
 */

/** Ids colo owns start with this. */
export const CIB_ID_PREFIX = 'colo-';

/** The cluster_property_set colo writes its properties into. */
export const CIB_PROPERTY_SET = 'cib-bootstrap-options';

export interface CibOp {
  name: string;
  interval: string;
  timeout: string;
  role?: string;
}

export interface CibPrimitive {
  id: string;
  class: string;
  provider?: string;
  type: string;
  params: Record<string, string>;
  meta: Record<string, string>;
  ops: CibOp[];
}

export type CibResource =
  | ({ kind: 'primitive' } & CibPrimitive)
  | { kind: 'clone'; id: string; meta: Record<string, string>; primitive: CibPrimitive };

export interface CibLocation {
  id: string;
  rsc: string;
  node: string;
  /** "INFINITY", "-INFINITY" or an integer. */
  score: string;
}

export interface CibModel {
  properties: Record<string, string>;
  resources: CibResource[];
  constraints: CibLocation[];
}
