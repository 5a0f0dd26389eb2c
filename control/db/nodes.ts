// Queries for nodes and their workspace counts.
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { NodeStatus } from '../../contract/index.ts';
import type { Db } from './database.ts';
import { nodes } from './schema.ts';

export type NodeRow = typeof nodes.$inferSelect;
export type NodeWithCount = NodeRow & { workspaceCount: number };

/** Workspaces that occupy a slot on their node (all but those being deleted): a column kept by triggers. */
const occupying = sql<number>`${nodes.occupiedWorkspaces}`;

/** Every node with its occupied slots, oldest first: what `list` runs, and what placement reads in its batch. */
export const listNodesQuery = (db: Db) =>
  db
    .select({ node: nodes, workspaceCount: occupying })
    .from(nodes)
    .orderBy(asc(nodes.createdAt), asc(nodes.id));

export const withWorkspaceCount = (r: { node: NodeRow; workspaceCount: number }): NodeWithCount => ({
  ...r.node,
  workspaceCount: Number(r.workspaceCount),
});

export function createNodeQueries(db: Db) {
  return {
    async insert(row: Omit<typeof nodes.$inferInsert, 'occupiedWorkspaces'>): Promise<void> {
      await db.insert(nodes).values(row);
    },
    async get(id: string): Promise<NodeWithCount | undefined> {
      const [r] = await db
        .select({ node: nodes, workspaceCount: occupying })
        .from(nodes)
        .where(eq(nodes.id, id));
      return r ? withWorkspaceCount(r) : undefined;
    },
    async list(): Promise<NodeWithCount[]> {
      return (await listNodesQuery(db)).map(withWorkspaceCount);
    },
    async update(id: string, patch: Partial<Omit<NodeRow, 'id' | 'occupiedWorkspaces'>>): Promise<void> {
      await db.update(nodes).set(patch).where(eq(nodes.id, id));
    },
    /** Changes status only if it is still `from`, so a concurrent heartbeat wins over a liveness sweep. */
    async setStatusIf(id: string, from: NodeStatus, to: NodeStatus): Promise<boolean> {
      const r = await db
        .update(nodes)
        .set({ status: to })
        .where(and(eq(nodes.id, id), eq(nodes.status, from)))
        .returning({ id: nodes.id });
      return r.length > 0;
    },
    /** The node registered with this public key (JWK JSON), for re-registration of a returning machine. */
    async findByPublicKey(publicKey: string): Promise<NodeRow | undefined> {
      const [r] = await db.select().from(nodes).where(eq(nodes.publicKey, publicKey));
      return r;
    },
    /** Deletes a node (its workspaces keep their rows, unplaced: the foreign key sets null). */
    async remove(id: string): Promise<boolean> {
      const r = await db.delete(nodes).where(eq(nodes.id, id)).returning({ id: nodes.id });
      return r.length > 0;
    },
    async nameTaken(name: string, exceptId: string): Promise<boolean> {
      const r = await db
        .select({ id: nodes.id })
        .from(nodes)
        .where(and(eq(nodes.name, name), ne(nodes.id, exceptId)));
      return r.length > 0;
    },
  };
}
