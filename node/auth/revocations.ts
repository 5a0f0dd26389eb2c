// Revocations the node enforces: a token whose subject or workspace was revoked after it was issued is void.
import type { Revocation } from '../../contract/index.ts';

/** Revoked subjects with their `notBefore` (unix seconds), split by kind for allocation-free lookups. */
export class Revocations {
  private users = new Map<string, number>();
  private workspaces = new Map<string, number>();
  private nodes = new Map<string, number>();
  private list: Revocation[] = [];
  private readonly listeners: (() => void)[] = [];

  /** Calls `listener` after every `replace` (open sockets are re-checked at once, not at the next tick). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Replaces the whole list (the control plane always sends all current revocations). */
  replace(list: Revocation[]): void {
    const users = new Map<string, number>();
    const workspaces = new Map<string, number>();
    const nodes = new Map<string, number>();
    for (const r of list) {
      const i = r.subject.indexOf(':');
      const kind = r.subject.slice(0, i);
      const id = r.subject.slice(i + 1);
      const map = kind === 'user' ? users : kind === 'workspace' ? workspaces : nodes;
      map.set(id, Math.max(map.get(id) ?? 0, r.notBefore));
    }
    this.users = users;
    this.workspaces = workspaces;
    this.nodes = nodes;
    this.list = list;
    for (const f of this.listeners) f();
  }

  /** True when a token of `userId` for `workspaceId` issued at `iat` is void. */
  isRevoked(userId: string, workspaceId: string, iat: number): boolean {
    const u = this.users.get(userId);
    if (u !== undefined && iat < u) return true;
    const w = this.workspaces.get(workspaceId);
    return w !== undefined && iat < w;
  }

  all(): Revocation[] {
    return this.list;
  }

  get size(): number {
    return this.users.size + this.workspaces.size + this.nodes.size;
  }
}
