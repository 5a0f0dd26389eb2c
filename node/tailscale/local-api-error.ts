// Errors of the LocalAPI client: a stable code so callers (node start, the mesh peer check) can decide.

/** Why a LocalAPI call failed. */
export type LocalApiErrorCode =
  /** No socket at the path, or nothing listening: tailscaled is not running (or another path is configured). */
  | 'tailscaled_unreachable'
  /** tailscaled answered with an error status (e.g. 403 for a caller it does not trust). */
  | 'tailscaled_rejected'
  /** whois: the address belongs to no node of this tailnet. */
  | 'tailnet_peer_unknown'
  /** tailscaled answered with a body that is not the documented shape. */
  | 'tailscaled_bad_response'
  /** status: tailscaled runs but is not logged in to a tailnet (BackendState other than Running). */
  | 'tailnet_not_running';

/** A LocalAPI call failed; `message` names the socket path and what to do, never a secret. */
export class LocalApiError extends Error {
  readonly code: LocalApiErrorCode;
  /** Worth retrying later (tailscaled restarting, still starting). */
  readonly retryable: boolean;
  constructor(code: LocalApiErrorCode, message: string) {
    super(message);
    this.name = 'LocalApiError';
    this.code = code;
    this.retryable = code === 'tailscaled_unreachable' || code === 'tailnet_not_running';
  }
}
