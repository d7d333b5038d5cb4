import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { PROTOCOL_SAMPLES_PATH, PROTOCOL_SCHEMA_PATH } from '../../src/core/moe/protocol.js';

/**
 * The endpoint protocol's JSON Schema (deploy/moe-endpoint/protocol), compiled with ajv: the same
 * file the Python endpoint validates against, so tests check the bot's side against it.
 */

export type MessageName = 'ErrorResponse' | 'HealthResponse' | 'ModelResponse' | 'RouteRequest' | 'RouteResponse' | 'CompareRequest' | 'CompareResponse';

export const protocolSchema = JSON.parse(readFileSync(PROTOCOL_SCHEMA_PATH, 'utf8')) as { $id: string; $defs: Record<string, unknown> };

const ajv = new Ajv2020({ allErrors: false, strict: true });
ajv.addSchema(protocolSchema);

/** Undefined when `value` is a valid `message`, else ajv's first complaint. */
export function schemaError(message: MessageName, value: unknown): string | undefined {
  const validate = ajv.getSchema(`${protocolSchema.$id}#/$defs/${message}`);
  if (!validate) throw new Error(`no message ${message} in the protocol schema`);
  if (validate(value)) return undefined;
  const e = validate.errors![0]!;
  return `${e.instancePath || 'body'} ${e.message}`;
}

export interface ProtocolSample {
  message: MessageName;
  valid: boolean;
  note: string;
  value: unknown;
}

export const protocolSamples: ProtocolSample[] = (JSON.parse(readFileSync(PROTOCOL_SAMPLES_PATH, 'utf8')) as { samples: ProtocolSample[] }).samples;
