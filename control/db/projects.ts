// Queries for projects.
import { asc, eq } from 'drizzle-orm';
import type { Db } from './database.ts';
import { projectGithub, projectRepos, projects, workspaces } from './schema.ts';

export type ProjectRow = typeof projects.$inferSelect;

export function createProjectQueries(db: Db) {
  return {
    async insert(row: ProjectRow): Promise<void> {
      await db.insert(projects).values(row);
    },
    async get(id: string): Promise<ProjectRow | undefined> {
      return db.query.projects.findFirst({ where: eq(projects.id, id) });
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
