// control/hardening: what a request must pass before a route sees it (CSRF, body limits, rate limits).
export { notePeerAddress } from './client-address.ts';
export {
  defaultHardeningConfig,
  type HardeningConfig,
  localHardeningConfig,
  parseHardeningConfig,
  type RateLimit,
  type RateLimits,
} from './hardening-config.ts';
export { type InputGuardOptions, inputGuard } from './input-guard.ts';
