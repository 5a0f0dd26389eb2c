// Errors of the Tailscale API client: a stable code, whether to retry, and a message without secrets.

export type TailscaleApiErrorCode =
  /** The API could not be reached (network, timeout). */
  | 'tailscale_unreachable'
  /** 401/403: the API key or OAuth client is wrong, expired, or lacks the scope. */
  | 'tailscale_unauthorized'
  /** Another 4xx: Tailscale refused the request (e.g. a tag the credential may not use). */
  | 'tailscale_rejected'
  /** 404 on a device or key. */
  | 'tailscale_not_found'
  /** 429 or 5xx. */
  | 'tailscale_unavailable'
  /** A 2xx answer that is not the documented shape, or not what was asked for. */
  | 'tailscale_bad_response';

/** A Tailscale API call failed. `status` is Tailscale's HTTP status (0 when unreachable). */
export class TailscaleApiError extends Error {
  readonly code: TailscaleApiErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: TailscaleApiErrorCode, status: number, message: string) {
    super(message);
    this.name = 'TailscaleApiError';
    this.code = code;
    this.status = status;
    this.retryable = code === 'tailscale_unreachable' || code === 'tailscale_unavailable';
  }
}

/** The code for an HTTP error status. */
export function codeForStatus(status: number): TailscaleApiErrorCode {
  if (status === 401 || status === 403) return 'tailscale_unauthorized';
  if (status === 404) return 'tailscale_not_found';
  if (status === 429 || status >= 500) return 'tailscale_unavailable';
  return 'tailscale_rejected';
}
