// Queries for GitHub: sign-in states, installations, users' sealed GitHub tokens, project repositories.
import { and, asc, eq, lt } from 'drizzle-orm';
import type { Db } from './database.ts';
import {
  githubInstallations,
  githubSignInStates,
  githubUserTokens,
  projectGithub,
  projectRepos,
} from './schema.ts';

export type SignInStateRow = typeof githubSignInStates.$inferSelect;
export type InstallationRow = typeof githubInstallations.$inferSelect;
export type ProjectRepoRow = typeof projectRepos.$inferSelect;

/** A project's installation and its repositories (primary first), as stored. */
export interface ProjectRepoBindingRow {
  projectId: string;
  installationId: number;
  repos: Pick<ProjectRepoRow, 'repoId' | 'fullName' | 'role'>[];
}

export function createGitHubQueries(db: Db) {
  return {
    signInStates: {
      async put(row: SignInStateRow): Promise<void> {
        await db.insert(githubSignInStates).values(row);
      },
      /** Removes and returns a state in one statement, so a state works once even under races. */
      async take(id: string): Promise<SignInStateRow | undefined> {
        const rows = await db.delete(githubSignInStates).where(eq(githubSignInStates.id, id)).returning();
        return rows[0];
      },
      async prune(now: number): Promise<void> {
        await db.delete(githubSignInStates).where(lt(githubSignInStates.expiresAt, now));
      },
    },

    installations: {
      async upsert(row: InstallationRow): Promise<void> {
        await db
          .insert(githubInstallations)
          .values(row)
          .onConflictDoUpdate({
            target: githubInstallations.id,
            set: {
              accountId: row.accountId,
              accountLogin: row.accountLogin,
              accountType: row.accountType,
              suspended: row.suspended,
            },
          });
      },
      async remove(id: number): Promise<void> {
        await db.delete(githubInstallations).where(eq(githubInstallations.id, id));
      },
      async get(id: number): Promise<InstallationRow | undefined> {
        return db.query.githubInstallations.findFirst({ where: eq(githubInstallations.id, id) });
      },
    },

    userTokens: {
      async put(userId: string, sealedToken: string, now: number): Promise<void> {
        await db
          .insert(githubUserTokens)
          .values({ userId, sealedToken, updatedAt: now })
          .onConflictDoUpdate({ target: githubUserTokens.userId, set: { sealedToken, updatedAt: now } });
      },
      async get(userId: string): Promise<string | undefined> {
        const row = await db.query.githubUserTokens.findFirst({ where: eq(githubUserTokens.userId, userId) });
        return row?.sealedToken;
      },
    },

    projectRepos: {
      async get(projectId: string): Promise<ProjectRepoBindingRow | undefined> {
        const binding = await db.query.projectGithub.findFirst({
          where: eq(projectGithub.projectId, projectId),
        });
        if (!binding) return undefined;
        const repos = await db
          .select({ repoId: projectRepos.repoId, fullName: projectRepos.fullName, role: projectRepos.role })
          .from(projectRepos)
          .where(eq(projectRepos.projectId, projectId))
          .orderBy(asc(projectRepos.role), asc(projectRepos.repoId));
        // 'additional' < 'primary' in SQL order; put the primary first.
        repos.sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1));
        return { projectId, installationId: binding.installationId, repos };
      },
      /** Replaces the project's binding and repositories with the installation and its primary, atomically. */
      async bind(
        projectId: string,
        installationId: number,
        primary: { repoId: number; fullName: string },
      ): Promise<void> {
        await db.batch([
          db.delete(projectRepos).where(eq(projectRepos.projectId, projectId)),
          db.delete(projectGithub).where(eq(projectGithub.projectId, projectId)),
          db.insert(projectGithub).values({ projectId, installationId }),
          db.insert(projectRepos).values({ projectId, ...primary, role: 'primary' }),
        ]);
      },
      /** Adds an additional repository; one already in the set (primary or not) is left as it is. */
      async addRepo(projectId: string, repo: { repoId: number; fullName: string }): Promise<void> {
        await db
          .insert(projectRepos)
          .values({ projectId, ...repo, role: 'additional' })
          .onConflictDoNothing();
      },
      async removeRepo(projectId: string, repoId: number): Promise<void> {
        await db
          .delete(projectRepos)
          .where(and(eq(projectRepos.projectId, projectId), eq(projectRepos.repoId, repoId)));
      },
    },
  };
}
