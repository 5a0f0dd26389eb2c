// control/db: the database handle, schema and per-aggregate queries.
export type { ApiTokenRow } from './api-tokens.ts';
export { type Database, DB_SYNC, type Db, type DbSync, databaseFile, openDatabase } from './database.ts';
export type { InstallationRow, ProjectRepoBindingRow, SignInStateRow } from './github.ts';
export type { NodeRow, NodeWithCount } from './nodes.ts';
export type { ProjectRow } from './projects.ts';
export * as schema from './schema.ts';
export { WARM_NODE_STATES } from './schema.ts';
export type { SessionRow } from './sessions.ts';
export type { SigningKeyRow, WriteGuard } from './signing-keys.ts';
export { createStore, type Store } from './store.ts';
export type { NewUserRow, UserRow } from './users.ts';
export { type LifecycleNote, type WorkspaceRow, workspaceResources } from './workspaces.ts';
