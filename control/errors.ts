// Domain errors of the control plane: a stable code from contract/error.ts, turned into HTTP only at the route edge.
import type { ErrorCode } from '../contract/index.ts';

/** An error a caller can act on; `message` and `detail` reach the client, so they never carry secrets. */
export class ControlError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export const notFound = (what: string) => new ControlError('not_found', `${what} not found`);
export const unauthorized = (message = 'missing or invalid credentials') =>
  new ControlError('unauthorized', message);
export const forbidden = (message: string) => new ControlError('forbidden', message);
