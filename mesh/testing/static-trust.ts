// StaticTrust: an OriginTrust from a fixed origin → key table, for the simulator (no certificates to verify).
import type { KeyObject } from 'node:crypto';
import type { KeyResult, OriginTrust } from '../registry/trust.ts';

/** Trusts exactly the keys it was given, synchronously. */
export class StaticTrust implements OriginTrust {
  private readonly keys = new Map<string, KeyObject[]>();

  /** Trusts `key` for `origin`'s entries. */
  add(origin: string, key: KeyObject): this {
    this.keys.set(origin, [key]);
    return this;
  }

  keyFor(origin: string): KeyResult {
    const keys = this.keys.get(origin);
    return keys ? { ok: true, keys } : { ok: false, reason: 'untrusted-origin' };
  }
}
