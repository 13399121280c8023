/**
 * `colo graph` as the user asks for it: text (boxes and links, graph-text.ts) or Graphviz DOT
 * (graph-dot.ts), both drawn from the same model (graph-model.ts).
 */
import type { Spec } from '../../../spec/types.ts';
import type { ColoState } from '../../../plan/state-model.ts';
import type { Output } from '../output.ts';
import { renderGraphText } from './graph-text.ts';
import { renderGraphDot } from './graph-dot.ts';

export interface GraphView {
  /** `vms`: only these (default: all). */
  graph(spec: Spec, state: ColoState | null, vms: readonly string[]): void;
}

export type GraphFormat = 'text' | 'dot';

export function graphView(format: GraphFormat, output: Output): GraphView {
  const render = format === 'dot' ? renderGraphDot : renderGraphText;
  return { graph: (spec, state, vms) => output.out(render(spec, state, { vms })) };
}
