import { z } from 'zod';
import type { AnyActionSpec } from '../../src/core/action-catalogue.js';

/** Specs for a test capability's own actions: any short args, open to everyone. */
export function testActionSpecs(...names: string[]): Record<string, AnyActionSpec> {
  return Object.fromEntries(names.map((name) => [name, { description: `The test action ${name}`, args: z.array(z.string().max(99)).max(8), admin: false }]));
}
