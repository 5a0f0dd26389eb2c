// Signatures on a member's claims about itself (alive, left), so nobody else can raise its incarnation.
import { type KeyObject, sign, verify } from 'node:crypto';
import type { MemberUpdate } from '../protocol.ts';
import { canonicalJson } from '../registry/signature.ts';

/** Domain separation from registry entries and tokens signed with the same key. */
const CONTEXT = 'warren-member-claim-v1\n';

function claimBytes(u: MemberUpdate): Buffer {
  return Buffer.from(CONTEXT + canonicalJson({ id: u.id, addr: u.addr, inc: u.inc, state: u.state }));
}

/** Signs a member's claim about itself with its origin key. */
export function signClaim(u: MemberUpdate, key: KeyObject): string {
  return sign(null, claimBytes(u), key).toString('base64url');
}

/** Whether `u.sig` is a signature over `u` by one of `keys`. */
export function verifyClaim(u: MemberUpdate, keys: readonly KeyObject[]): boolean {
  if (!u.sig) return false;
  const sig = Buffer.from(u.sig, 'base64url');
  if (sig.byteLength !== 64) return false;
  const data = claimBytes(u);
  return keys.some((k) => {
    try {
      return verify(null, data, k, sig);
    } catch {
      return false;
    }
  });
}
