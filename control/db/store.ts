// The store: every aggregate's queries over one database handle.
import { afterWrites } from './after-writes.ts';
import { createApiTokenQueries } from './api-tokens.ts';
import { createCredentialEpoch } from './credential-epoch.ts';
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
  const credentialEpoch = createCredentialEpoch(db.$client);
  const workspaceQueries = createWorkspaceQueries(db);
  // A token mint's cached read of a workspace names its node: any write to either drops it (see accessTarget).
  const forget = () => workspaceQueries.forgetAccessTargets();
  return {
    /** Moves on every write to users, sessions and API tokens (of any replica); caches of those lookups check it. */
    credentialEpoch: credentialEpoch.current,
    /** Catches up with credential writes of other replicas (see CredentialEpoch.follow). */
    followCredentialEpoch: credentialEpoch.follow,
    users: credentialEpoch.watch(createUserQueries(db), [
      'get',
      'getByGithubId',
      'getByEmail',
      'count',
      'list',
    ]),
    sessions: credentialEpoch.watch(createSessionQueries(db), ['findByHash']),
    // `touch` only records when a token was last used; it changes nothing a credential check reads.
    apiTokens: credentialEpoch.watch(createApiTokenQueries(db), ['findByHash', 'listOfUser', 'touch']),
    signingKeys: createSigningKeyQueries(db),
    projects: createProjectQueries(db),
    nodes: afterWrites(createNodeQueries(db), ['get', 'list', 'findByPublicKey', 'nameTaken'], forget),
    joinTokens: createJoinTokenQueries(db),
    workspaces: afterWrites(
      workspaceQueries,
      [
        'placementInputs',
        'get',
        'getWithNode',
        'accessTarget',
        'list',
        'listOnNode',
        'listUnplaced',
        'forgetAccessTargets',
      ],
      forget,
    ),
    revocations: createRevocationQueries(db),
    github: createGitHubQueries(db),
  };
}
export type Store = ReturnType<typeof createStore>;
