import { quizbotAdapter } from './quizbot.js';
import { sglangAdapter } from './sglang.js';
import type { EndpointAdapter, EndpointKind, KindSettings } from './types.js';
import { vllmAdapter } from './vllm.js';

export { ENDPOINT_KINDS, isServedModel, type EndpointKind, type KindSettings, type MoeModelInfo, type ServedModel } from './types.js';

/** The translator for an endpoint kind (MOE_ENDPOINT_KIND). */
export function adapterFor(kind: EndpointKind, settings: KindSettings = {}): EndpointAdapter {
  switch (kind) {
    case 'vllm':
      return vllmAdapter(settings);
    case 'sglang':
      return sglangAdapter(settings);
    case 'quizbot':
      return quizbotAdapter();
  }
}
