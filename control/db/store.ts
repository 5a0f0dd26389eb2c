// The store: every aggregate's queries over one database handle.
import { createApiTokenQueries } from './api-tokens.ts';
import type { Db } from './database.ts';
import { createGitHubQueries } from './github.ts';
import { createJoinTokenQueries } from './join-tokens.ts';
import { createNodeQueries } from './nodes.ts';
import { createProjectQueries } from './projects.ts';
import { createRevocationQueries } from './revocations.ts';
import { createSessionQueries } from './sessions.ts';
import { createSigningKeyQueries } from './signing-keys.ts';
import { createUserQueries } from './users.ts';
import { createWorkspaceQueries } from './workspaces.ts';

/** All queries of the control plane, grouped by aggregate. */
export function createStore(db: Db) {
  return {
    users: createUserQueries(db),
    sessions: createSessionQueries(db),
    apiTokens: createApiTokenQueries(db),
    signingKeys: createSigningKeyQueries(db),
    projects: createProjectQueries(db),
    nodes: createNodeQueries(db),
    joinTokens: createJoinTokenQueries(db),
    workspaces: createWorkspaceQueries(db),
    revocations: createRevocationQueries(db),
    github: createGitHubQueries(db),
  };
}
export type Store = ReturnType<typeof createStore>;
