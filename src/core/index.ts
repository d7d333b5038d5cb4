import { Dispatcher, type Capability } from './dispatcher.js';
import { lessonsCapability } from './lessons/commands.js';
import type { Services } from './services.js';

/** Every capability of the core, wired into one dispatcher. */
export function createDispatcher(services: Services, extra: Capability[] = []): Dispatcher {
  return new Dispatcher(services, [lessonsCapability, ...extra]);
}
