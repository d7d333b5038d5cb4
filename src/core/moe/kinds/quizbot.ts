import type { z } from 'zod';
import {
  compareInconsistency,
  compareResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  modelResponseSchema,
  routeInconsistency,
  routeResponseSchema,
} from '../protocol.js';
import { MalformedAnswer } from './errors.js';
import type { EndpointAdapter, ErrorDetail } from './types.js';

/** The bot's own endpoint (deploy/moe-endpoint): protocol v1, checked against its schema as it is. */

function read<T>(schema: z.ZodType<T>, inconsistency?: (value: T) => string | undefined, what = 'routing'): (json: unknown) => T {
  return (json) => {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MalformedAnswer(`${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const problem = inconsistency?.(parsed.data);
    if (problem) throw new MalformedAnswer(`inconsistent ${what}: ${problem}`);
    return parsed.data;
  };
}

export function quizbotAdapter(): EndpointAdapter {
  return {
    kind: 'quizbot',
    health: (t) => t.request('GET', '/v1/health', undefined, read(healthResponseSchema), { acceptStatus: [503] }),
    model: (t) => t.request('GET', '/v1/model', undefined, read(modelResponseSchema)),
    route: (t, request) => t.request('POST', '/v1/route', request, read(routeResponseSchema, routeInconsistency)),
    compare: (t, request) => t.request('POST', '/v1/compare', request, read(compareResponseSchema, compareInconsistency, 'comparison')),
    errorDetail(text: string): ErrorDetail {
      try {
        const parsed = errorResponseSchema.safeParse(JSON.parse(text));
        if (parsed.success) return { code: parsed.data.error.code, message: parsed.data.error.message, retryAfterS: parsed.data.error.retry_after_s };
      } catch {
        // Not the protocol's error shape (a proxy's page, say): the status alone tells enough.
      }
      return {};
    },
  };
}
