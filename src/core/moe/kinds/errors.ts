import { UserError } from '../../errors.js';

/** What went wrong with a routing demo, in kinds the commands and the CLI can act on. */
export type MoeErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'busy'
  | 'unauthorized'
  | 'rejected'
  | 'loading'
  | 'server'
  | 'malformed'
  | 'circuit_open'
  | 'rate_limited'
  /** The server answers but was not started to return routed experts, or does not serve that model. */
  | 'not_enabled'
  | 'not_found';

/** A failure of the routing demo, worded for the user (the dispatcher shows the message). */
export class MoeEndpointError extends UserError {
  override name = 'MoeEndpointError';
  constructor(
    readonly kind: MoeErrorKind,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** Thrown by a kind's reader when a 2xx answer cannot be read: the client counts it against the endpoint. */
export class MalformedAnswer extends Error {
  override name = 'MalformedAnswer';
}
