// Turning a GitHub flow's outcome into a route's value, or into the one error shape (503s carry Retry-After).

import type { ControlDeps } from '../deps.ts';
import { ControlError } from '../errors.ts';
import type { Outcome } from '../github/index.ts';

type Set = { headers: Record<string, string | number> };

/** The value of a successful outcome; otherwise throws the outcome's error for the error handler. */
export function unwrap<T>(outcome: Outcome<T>, set: Set): T {
  if (outcome.ok) return outcome.value;
  if (outcome.code === 'unavailable') set.headers['retry-after'] = '5';
  throw new ControlError(outcome.code, outcome.message);
}

/** The GitHub service, or a 404 when this instance has no GitHub App configured. */
export function requireGitHub(deps: ControlDeps) {
  if (!deps.github) throw new ControlError('not_found', 'GitHub is not configured on this instance');
  return deps.github;
}
