// Queries for projects.
import { asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './database.ts';
import { projectGithub, projectRepos, projects, workspaces } from './schema.ts';

export type ProjectRow = typeof projects.$inferSelect;
/** A repository of a project as the API lists it. */
export type ProjectRepoRef = { repoId: number; fullName: string; role: 'primary' | 'additional' };

export function createProjectQueries(db: Db) {
  // Built once: every workspace push reads its project (the permission policy), and the relational query API
  // built its SQL on every call (about 0.3 ms of a workspace create).
  const byId = db
    .select()
    .from(projects)
    .where(eq(projects.id, sql.placeholder('id')))
    .prepare();
  return {
    async insert(row: typeof projects.$inferInsert): Promise<void> {
      await db.insert(projects).values(row);
    },
    async get(id: string): Promise<ProjectRow | undefined> {
      return (await byId.execute({ id }))[0];
    },
    /** Changes a project's name, description or workspace defaults; the row after, or undefined when gone. */
    async update(
      id: string,
      patch: Partial<
        Pick<
          ProjectRow,
          'name' | 'description' | 'appCommand' | 'agentCommand' | 'resources' | 'agentPermissions'
        >
      >,
    ): Promise<ProjectRow | undefined> {
      if (Object.keys(patch).length === 0) return this.get(id);
      const rows = await db.update(projects).set(patch).where(eq(projects.id, id)).returning();
      return rows[0];
    },
    /** The repositories of each of `ids` (primary first, then by name); projects without any are left out. */
    async repositories(ids: readonly string[]): Promise<Map<string, ProjectRepoRef[]>> {
      const out = new Map<string, ProjectRepoRef[]>();
      if (ids.length === 0) return out;
      const rows = await db
        .select()
        .from(projectRepos)
        .where(inArray(projectRepos.projectId, [...ids]))
        // 'primary' sorts after 'additional': descending puts it first.
        .orderBy(asc(projectRepos.projectId), desc(projectRepos.role), asc(projectRepos.fullName));
      for (const r of rows) {
        const list = out.get(r.projectId) ?? [];
        list.push({ repoId: r.repoId, fullName: r.fullName, role: r.role });
        out.set(r.projectId, list);
      }
      return out;
    },
    /** All projects, or those of one owner. */
    async list(ownerId?: string): Promise<ProjectRow[]> {
      const q = db.select().from(projects);
      return (ownerId ? q.where(eq(projects.ownerId, ownerId)) : q).orderBy(
        asc(projects.createdAt),
        asc(projects.id),
      );
    },
    /** Deletes a project, its workspaces and its GitHub binding in one transaction (no reliance on FK cascades over HTTP). */
    async remove(id: string): Promise<void> {
      await db.batch([
        db.delete(workspaces).where(eq(workspaces.projectId, id)),
        db.delete(projectRepos).where(eq(projectRepos.projectId, id)),
        db.delete(projectGithub).where(eq(projectGithub.projectId, id)),
        db.delete(projects).where(eq(projects.id, id)),
      ]);
    },
  };
}
