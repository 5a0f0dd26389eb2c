// Open workspace sockets and the token each was opened with: one that expires or is revoked ends its socket.
import { SOCKET_CLOSE_TOKEN_ENDED } from '../../contract/index.ts';
import type { TokenVerifier, VerifiedToken } from '../auth/index.ts';

/** Ends one socket with a close code and reason (terminal, agent, app bridge, or the raw front's pipe). */
export type EndSession = (code: number, reason: string) => void;

export interface LiveSessionsOptions {
  verifier: TokenVerifier;
  /** How often open sockets are checked for expiry (revocations are checked as they arrive, via `sweep`). */
  intervalMs: number;
}

/**
 * Every open socket that a workspace token let in, keyed by the socket's own data object. One node-wide timer
 * (running only while sockets are open) and every revocation change call `sweep`, which ends the sockets whose
 * token has lapsed with SOCKET_CLOSE_TOKEN_ENDED. A token is checked when the socket opens; without this, an
 * open terminal would keep running commands long after its token was revoked or had expired.
 */
export class LiveSessions {
  private readonly open = new Map<object, { token: VerifiedToken; end: EndSession }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: LiveSessionsOptions) {}

  /** Watches the socket `key` opened with `token`; ends it at once when the token has lapsed already. */
  track(key: object, token: VerifiedToken, end: EndSession): void {
    if (this.endIfLapsed(key, token, end)) return;
    this.open.set(key, { token, end });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.o.intervalMs);
      // A node with only idle sockets must still be able to exit.
      this.timer.unref?.();
    }
  }

  /** Forgets the socket `key` (it closed). */
  untrack(key: object): void {
    this.open.delete(key);
    if (this.open.size === 0) this.stop();
  }

  /** Ends every tracked socket whose token has expired or been revoked. */
  sweep(): void {
    for (const [key, s] of this.open) this.endIfLapsed(key, s.token, s.end);
  }

  get size(): number {
    return this.open.size;
  }

  /** Stops the timer (the node is stopping; its server closes the sockets). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private endIfLapsed(key: object, token: VerifiedToken, end: EndSession): boolean {
    const why = this.o.verifier.lapsed(token);
    if (why === undefined) return false;
    this.untrack(key);
    end(SOCKET_CLOSE_TOKEN_ENDED, `token ${why}`);
    return true;
  }
}
