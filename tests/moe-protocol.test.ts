import { describe, expect, it } from 'vitest';
import { MESSAGE_SCHEMAS, routeInconsistency, type RouteResponse } from '../src/core/moe/protocol.js';
import { protocolSamples, protocolSchema, schemaError, type MessageName } from './helpers/moe-protocol.js';

describe('the endpoint protocol: zod schemas against the JSON Schema', () => {
  it('declares every message in both places', () => {
    expect(Object.keys(MESSAGE_SCHEMAS).sort()).toEqual(
      Object.keys(protocolSchema.$defs)
        .filter((k) => /(Request|Response)$/.test(k))
        .sort(),
    );
  });

  it.each(protocolSamples.map((s) => [`${s.message}: ${s.note}`, s] as const))('%s', (_name, sample) => {
    const json = schemaError(sample.message, sample.value);
    const zod = MESSAGE_SCHEMAS[sample.message as MessageName].safeParse(sample.value);
    expect(json === undefined, `JSON Schema: ${json}`).toBe(sample.valid);
    expect(zod.success, zod.success ? '' : zod.error.issues[0]?.message).toBe(sample.valid);
  });

  it('has samples of both kinds for every message', () => {
    for (const name of Object.keys(MESSAGE_SCHEMAS)) {
      expect(new Set(protocolSamples.filter((s) => s.message === name).map((s) => s.valid)), name).toEqual(new Set([true, false]));
    }
  });

  it('keeps unknown response fields out of the parsed value and refuses unknown request fields', () => {
    const route = protocolSamples.find((s) => s.message === 'RouteResponse' && s.note.startsWith('unknown fields'))!;
    const parsed = MESSAGE_SCHEMAS.RouteResponse.parse(route.value);
    expect(parsed).not.toHaveProperty('extra_field');
    expect(MESSAGE_SCHEMAS.RouteRequest.safeParse({ prompt: 'hi', stream: true }).success).toBe(false);
  });

  it('finds shapes that disagree, which a schema cannot', () => {
    const valid = protocolSamples.find((s) => s.message === 'RouteResponse' && s.valid)!.value as RouteResponse;
    expect(routeInconsistency(valid)).toBeUndefined();
    const missingRow = structuredClone(valid);
    missingRow.routing[1]!.experts.pop();
    expect(routeInconsistency(missingRow)).toMatch(/layer 1 has 2 rows for 3 tokens/);
    const outOfRange = structuredClone(valid);
    outOfRange.routing[0]!.experts[2] = [8, 1];
    expect(routeInconsistency(outOfRange)).toMatch(/out of range/);
    const wrongK = structuredClone(valid);
    wrongK.routing[0]!.experts[0] = [1];
    wrongK.routing[0]!.weights[0] = [1];
    expect(routeInconsistency(wrongK)).toMatch(/not 2 experts/);
  });
});
