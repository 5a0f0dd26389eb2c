// Settings of the control plane's input hardening: body limits, JSON depth, rate limits, whose address a client has.
// control/config.ts calls parseHardeningConfig with the environment; nothing here reads process.env itself.
import * as v from 'valibot';

/** A token bucket: `burst` requests at once, then `perMinute` more each minute. */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

/** The limits by what they protect; each key is a client address (see `proxyHops`). */
export interface RateLimits {
  /** `GET /auth/login` (one-time links) and the GitHub sign-in's login and callback. */
  signIn: RateLimit;
  /** `POST /api/v1/nodes/join` (unauthenticated: the join token is in the body). */
  nodeJoin: RateLimit;
  /** `POST /api/v1/tokens`, `POST /api/v1/workspaces/{id}/tokens` and the app link `GET …/{id}/app`. */
  tokenMint: RateLimit;
  /** Answers of 401; when a client's bucket is empty its credentialed requests are refused until it refills. */
  failedAuth: RateLimit;
}
export type RateLimitName = keyof RateLimits;
export const RATE_LIMIT_NAMES = ['signIn', 'nodeJoin', 'tokenMint', 'failedAuth'] as const;

export interface HardeningConfig {
  /** Largest request body of a route that names no other limit. */
  maxBodyBytes: number;
  /** Deepest nesting of `[` and `{` a JSON body may have, checked before it is parsed. */
  maxJsonDepth: number;
  rateLimits: RateLimits;
  /**
   * WARREN_PROXY_HOPS: reverse proxies in front of the control plane that append to X-Forwarded-For. 0: the
   * socket peer is the client and X-Forwarded-For is ignored (anyone can write it).
   */
  proxyHops: number;
  /** Buckets kept per limit; past it, full buckets go first (they limit nothing), then the least recently used. */
  maxTrackedClients: number;
}

/** Production defaults. */
export function defaultHardeningConfig(): HardeningConfig {
  return {
    // 1 MiB: the largest body the API takes by design is a task prompt (100,000 characters, a few hundred
    // KB as JSON); GitHub's webhook handler keeps the same cap. The heartbeat names its own (input-guard.ts).
    maxBodyBytes: 1024 * 1024,
    // 64: the deepest body of the contract is ~5 levels; parsing deeper input costs time and stack for
    // nothing (20 KB of `[` used to stall the control plane for 20 s).
    maxJsonDepth: 64,
    rateLimits: {
      // A person signs in a few times a day; 20 in a row covers a team arriving together behind one NAT,
      // and 10 a minute after that bounds guessing at links and GitHub codes (which are unguessable anyway).
      signIn: { burst: 20, perMinute: 10 },
      // `warren up --nodes N` and a warm pool join many nodes from one address at once; 30 covers that,
      // 30 a minute keeps a flood of join attempts (each a database lookup) from one address small.
      nodeJoin: { burst: 30, perMinute: 30 },
      // The UI mints a workspace token for each terminal, agent chat and app it opens, scripts a few per
      // run: 60 at once and one a second sustained stay well above use and bound what one client signs.
      tokenMint: { burst: 60, perMinute: 60 },
      // Honest clients fail rarely (an expired session, a revoked node heartbeating every 10 s); 30 failures
      // in a row, then one every 2 s, stops guessing at tokens without locking out a retrying node.
      failedAuth: { burst: 30, perMinute: 30 },
    },
    // Direct exposure (loopback, a tailnet address) is the default deployment: nobody in front to trust.
    proxyHops: 0,
    // 10,000 clients at ~100 B each is ~1 MB per limit; an attacker with more addresses than that (IPv6
    // addresses count by /64) can push out old buckets, which only gives them back what a new client has.
    maxTrackedClients: 10_000,
  };
}

/**
 * For in-process and whole-system tests: limits far above any test's legitimate bursts (tests mint tokens
 * and fail authentication on purpose from one address); tests of the limits set their own.
 */
export function localHardeningConfig(): HardeningConfig {
  const loose = { burst: 10_000, perMinute: 60_000 };
  return {
    ...defaultHardeningConfig(),
    rateLimits: { signIn: loose, nodeJoin: loose, tokenMint: loose, failedAuth: loose },
  };
}

type Env = Record<string, string | undefined>;
export type HardeningConfigResult = { ok: true; config: HardeningConfig } | { ok: false; message: string };

const Count = v.pipe(v.number('must be a number'), v.integer('must be an integer'));
const Limit = v.strictObject({
  burst: v.pipe(Count, v.minValue(1, 'must be at least 1'), v.maxValue(1_000_000, 'must be at most 1000000')),
  perMinute: v.pipe(
    v.number('must be a number'),
    v.minValue(0.01, 'must be above 0'),
    v.maxValue(6_000_000, 'must be at most 6000000'),
  ),
});
const LimitOverrides = v.strictObject({
  signIn: v.optional(Limit),
  nodeJoin: v.optional(Limit),
  tokenMint: v.optional(Limit),
  failedAuth: v.optional(Limit),
});

/** Reads WARREN_PROXY_HOPS and WARREN_RATE_LIMITS (a JSON object replacing single limits). */
export function parseHardeningConfig(env: Env): HardeningConfigResult {
  const config = defaultHardeningConfig();
  const hops = env.WARREN_PROXY_HOPS?.trim();
  if (hops) {
    const n = Number(hops);
    if (!Number.isInteger(n) || n < 0 || n > 10)
      return { ok: false, message: `WARREN_PROXY_HOPS must be an integer from 0 to 10 (got "${hops}")` };
    config.proxyHops = n;
  }
  const limits = env.WARREN_RATE_LIMITS?.trim();
  if (limits) {
    let json: unknown;
    try {
      json = JSON.parse(limits);
    } catch {
      return {
        ok: false,
        message: 'WARREN_RATE_LIMITS must be a JSON object, e.g. {"signIn":{"burst":20,"perMinute":10}}',
      };
    }
    const r = v.safeParse(LimitOverrides, json);
    if (!r.success) {
      const issue = r.issues[0];
      const where = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
      const known = RATE_LIMIT_NAMES.join(', ');
      return {
        ok: false,
        message: `WARREN_RATE_LIMITS${where ? `.${where}` : ''} ${issue?.message ?? 'is invalid'} (limits: ${known}; each {burst, perMinute})`,
      };
    }
    for (const name of RATE_LIMIT_NAMES) {
      const limit = r.output[name];
      if (limit) config.rateLimits[name] = limit;
    }
  }
  return { ok: true, config };
}
