// What every request passes before a route sees it: rate limits, the CSRF rule, body checks; and 401s counted.
import { Elysia } from 'elysia';
import { SESSION_COOKIE } from '../auth/index.ts';
import type { Clock } from '../clock.ts';
import { ControlError } from '../errors.ts';
import { requestCookie } from '../routes/session-cookie.ts';
import { addressKey, carryPeerAddress, clientAddress } from './client-address.ts';
import { type HardeningConfig, RATE_LIMIT_NAMES, type RateLimitName } from './hardening-config.ts';
import { checkBody } from './request-body.ts';
import { crossSiteRefusal, ownOrigins, STATE_CHANGING } from './request-origin.ts';
import { createTokenBuckets, type TokenBuckets } from './token-bucket.ts';

interface RouteMatch {
  method: string;
  /** The raw path as the router sees it (Elysia also takes it with a trailing slash). */
  path: RegExp;
}

/** Routes whose bodies may be larger than `maxBodyBytes`, with why. */
const BODY_LIMITS: (RouteMatch & { maxBytes: number })[] = [
  // A heartbeat lists every workspace of its node (the contract allows 10,000 with a reason of up to 1,000
  // characters each): 4 MiB holds several thousand such reports, and only a node's certificate gets past it.
  { method: 'POST', path: /^\/api\/v1\/nodes\/[^/]+\/heartbeat\/?$/, maxBytes: 4 * 1024 * 1024 },
];

/** Routes with a rate limit of their own (besides the failed-authentication one every route has). */
const RATE_LIMITED: (RouteMatch & { limit: RateLimitName })[] = [
  { method: 'GET', path: /^\/auth\/login\/?$/, limit: 'signIn' },
  { method: 'GET', path: /^\/api\/v1\/auth\/github\/(login|callback)\/?$/, limit: 'signIn' },
  { method: 'POST', path: /^\/api\/v1\/nodes\/join\/?$/, limit: 'nodeJoin' },
  { method: 'POST', path: /^\/api\/v1\/tokens\/?$/, limit: 'tokenMint' },
  { method: 'POST', path: /^\/api\/v1\/workspaces\/[^/]+\/tokens\/?$/, limit: 'tokenMint' },
  // The app link mints a workspace token too.
  { method: 'GET', path: /^\/api\/v1\/workspaces\/[^/]+\/app\/?$/, limit: 'tokenMint' },
];

const matches = (r: RouteMatch, method: string, path: string) => r.method === method && r.path.test(path);

/** The path of a request URL as Elysia routes it: from the first `/` after the host up to `?`. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const query = url.indexOf('?', start);
  return url.slice(start, query === -1 ? undefined : query);
}

/** Whether the request presents a user or node credential (what the failed-authentication limit guards). */
function presentsCredential(request: Request): boolean {
  return request.headers.has('authorization') || requestCookie(request, SESSION_COOKIE) !== undefined;
}

export interface InputGuardOptions {
  config: HardeningConfig;
  /** The URLs browsers reach this control plane at (bound URL, WARREN_PUBLIC_URL): its own origins. */
  urls: readonly (string | undefined)[];
  clock: Clock;
}

/** 429 with Retry-After in the header and in the error's detail. */
function rateLimited(set: { headers: Record<string, string | number> }, what: string, retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  set.headers['retry-after'] = String(seconds);
  return new ControlError('rate_limited', `too many ${what} from this address; retry in ${seconds} s`, {
    retryAfterSeconds: seconds,
  });
}

const WHAT: Record<RateLimitName, string> = {
  signIn: 'sign-in attempts',
  nodeJoin: 'node join attempts',
  tokenMint: 'token requests',
  failedAuth: 'failed authentications',
};

/** The plugin; register it before every route (its hooks are global). */
export function inputGuard(options: InputGuardOptions) {
  const { config, clock } = options;
  const own = ownOrigins(options.urls);
  const buckets = Object.fromEntries(
    RATE_LIMIT_NAMES.map((name) => [
      name,
      createTokenBuckets(config.rateLimits[name], config.maxTrackedClients),
    ]),
  ) as Record<RateLimitName, TokenBuckets>;
  const keyOf = (request: Request) => addressKey(clientAddress(request, config.proxyHops));

  return new Elysia({ name: 'input-guard' })
    .onRequest(async (c) => {
      const { request } = c;
      const path = pathOf(request.url);
      const key = keyOf(request);
      const now = clock.now();
      // Elysia answers HEAD with the GET handler (which would, say, spend a login link): limit it as GET.
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const limited = RATE_LIMITED.find((r) => matches(r, method, path));
      // A client that keeps failing to authenticate waits, whatever it presents next.
      if (limited || presentsCredential(request)) {
        const failing = buckets.failedAuth.peek(key, now);
        if (!failing.ok) throw rateLimited(c.set, WHAT.failedAuth, failing.retryAfterMs);
      }
      if (limited) {
        const taken = buckets[limited.limit].take(key, now);
        if (!taken.ok) throw rateLimited(c.set, WHAT[limited.limit], taken.retryAfterMs);
      }
      if (!STATE_CHANGING.has(request.method)) return;
      const refusal = crossSiteRefusal(request, own);
      if (refusal) throw new ControlError('forbidden', refusal);
      const maxBytes =
        BODY_LIMITS.find((r) => matches(r, request.method, path))?.maxBytes ?? config.maxBodyBytes;
      const body = await checkBody(request, { maxBytes, maxJsonDepth: config.maxJsonDepth });
      if (!body.ok) throw body.error;
      if (body.bytes) {
        // The route reads the bytes already checked (the webhook's signature covers exactly these).
        const checked = new Request(request, { body: body.bytes });
        carryPeerAddress(request, checked);
        c.request = checked;
      }
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : set.status;
      if (status === 401) buckets.failedAuth.take(keyOf(request), clock.now());
    });
}
