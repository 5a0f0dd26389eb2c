// Per-workspace secrets for the git credential endpoint: issue, verify (constant-time), revoke.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Each workspace gets its own random secret in its environment; the credential endpoint maps a presented
 * secret back to exactly one workspace. Only SHA-256 digests are kept. In memory: a node restart issues
 * new secrets as it restarts its workspaces through the one start pipeline (LESSONS 4).
 */
export class WorkspaceSecrets {
  private readonly digests = new Map<string, Buffer>();

  /** Issues (or replaces) the workspace's secret, `<workspaceId>.<43 base64url chars>`, 256 random bits. */
  issue(workspaceId: string): string {
    if (!/^[a-z0-9]{1,64}$/.test(workspaceId)) throw new Error('invalid workspace id');
    const secret = `${workspaceId}.${randomBytes(32).toString('base64url')}`;
    this.digests.set(workspaceId, digest(secret));
    return secret;
  }

  /** The workspace a secret belongs to, or undefined. Compares digests in constant time (LESSONS 11). */
  verify(secret: string): string | undefined {
    const dot = secret.indexOf('.');
    if (dot <= 0 || secret.length > 200) return undefined;
    const workspaceId = secret.slice(0, dot);
    const expected = this.digests.get(workspaceId);
    const given = digest(secret);
    // Compare even when absent, so a miss costs the same as a mismatch.
    const ok = timingSafeEqual(expected ?? Buffer.alloc(32), given) && expected !== undefined;
    return ok ? workspaceId : undefined;
  }

  revoke(workspaceId: string): void {
    this.digests.delete(workspaceId);
  }

  has(workspaceId: string): boolean {
    return this.digests.has(workspaceId);
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
