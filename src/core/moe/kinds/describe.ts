import { SERVER_NAMES } from './shared.js';
import type { ServedModel } from './types.js';

const FIELD_NAMES: Record<ServedModel['inferred'][number], string> = {
  layers: 'the layer count',
  dense_layers: 'which layers are dense',
  top_k: 'top-k',
  experts: 'the expert count',
};

/** /moe model for a model on vLLM or SGLang: what the server says, and what was inferred (marked). */
export function servedModelLines(m: ServedModel): string[] {
  const server = SERVER_NAMES[m.kind];
  const mark = (field: ServedModel['inferred'][number]) => (m.inferred.includes(field) ? ' (inferred)' : '');
  const dense = m.dense_layers.length ? ` and ${m.dense_layers.length} dense (${m.dense_layers.join(', ')})` : '';
  const lines = [
    `Model: ${m.model}, served by ${server}${m.served.length > 1 ? ` (which also serves ${m.served.filter((s) => s !== m.model).join(', ')})` : ''}`,
    `Layers: ${m.layers}${mark('layers')}, of which ${m.moe_layers.length} MoE${dense}${mark('dense_layers')}`,
    `Experts: ${m.experts} per MoE layer${mark('experts')}, top-${m.top_k} per token${mark('top_k')}`,
  ];
  if (m.max_model_len) lines.push(`Context: up to ${m.max_model_len} tokens`);
  if (m.inferred.length) {
    lines.push(`Inferred: ${m.inferred.map((f) => FIELD_NAMES[f]).join(', ')}, from the routing of a ${m.probe_tokens}-token probe prompt (${server} does not report them; set MOE_NUM_EXPERTS${m.kind === 'sglang' ? ' or MOE_TOP_K' : ''} to give them)`);
  }
  lines.push(`Not reported by ${server}: gate weights, shared experts, routing rule, parameter counts`);
  return lines;
}
