// How the control plane authenticates to the Tailscale API: an API access token, or an OAuth client whose
// short-lived access tokens are fetched with client credentials and cached until shortly before expiry.
import * as v from 'valibot';
import type { Clock } from '../clock.ts';
import { codeForStatus, TailscaleApiError } from './api-error.ts';
import { ApiErrorBody, OAuthToken } from './api-shapes.ts';

/** An API access token (`tskey-api-…`), or an OAuth client (`tskey-client-…` secret) with the `auth_keys` and `devices:core` scopes. */
export type TailscaleCredentials =
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string };

/** Gives the bearer token for the next request. */
export interface BearerSource {
  token(): Promise<string>;
  /** Forget a cached token (after a 401), so the next call fetches a fresh one. */
  invalidate(): void;
}

/** Refresh this long before the token expires, so a request never starts with a token about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

export function createBearerSource(
  credentials: TailscaleCredentials,
  options: { baseUrl: string; timeoutMs: number; clock: Clock },
): BearerSource {
  if (credentials.kind === 'api-key') {
    return { token: async () => credentials.apiKey, invalidate: () => {} };
  }
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(`${options.baseUrl}/api/v2/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          grant_type: 'client_credentials',
        }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch {
      throw new TailscaleApiError(
        'tailscale_unreachable',
        0,
        'OAuth token: the Tailscale API could not be reached',
      );
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const msg = v.is(ApiErrorBody, body) ? body.message : '';
      throw new TailscaleApiError(
        codeForStatus(res.status),
        res.status,
        `OAuth token: Tailscale answered ${res.status}${msg ? `: ${msg}` : ''} (check the OAuth client id and secret)`,
      );
    }
    const r = v.safeParse(OAuthToken, body);
    if (!r.success) {
      const at = r.issues[0]?.path?.map((p) => String(p.key)).join('.') ?? '';
      throw new TailscaleApiError(
        'tailscale_bad_response',
        res.status,
        `OAuth token: unexpected shape at '${at}': ${r.issues[0]?.message}`,
      );
    }
    const lifetimeMs = r.output.expires_in * 1000;
    cached = {
      token: r.output.access_token,
      refreshAt: options.clock.now() + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, lifetimeMs / 2),
    };
    return cached.token;
  };
  return {
    async token() {
      if (cached && options.clock.now() < cached.refreshAt) return cached.token;
      // One refresh at a time: concurrent callers share it instead of minting a token each.
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
