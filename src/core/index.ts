import { askCapability } from './ask/commands.js';
import { Dispatcher, type Capability } from './dispatcher.js';
import { importCapability } from './import/commands.js';
import { lessonsCapability } from './lessons/commands.js';
import { moeCapability } from './moe/commands.js';
import { quizCapability } from './quiz/index.js';
import type { Services } from './services.js';

/** Every capability of the core, wired into one dispatcher. Add a capability here. */
export function createDispatcher(services: Services, extra: Capability[] = []): Dispatcher {
  return new Dispatcher(services, [lessonsCapability, quizCapability, askCapability, moeCapability, importCapability, ...extra]);
}
