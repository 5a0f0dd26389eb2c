// The storage GitHub integration needs, as small interfaces the control plane backs with its database.

/** A pending sign-in: the `state` id, a hash of its secret half, and where the flow returns. */
export interface PendingSignIn {
  /** Public half of the state, the lookup key. */
  id: string;
  /** SHA-256 (hex) of the secret half; the secret itself is never stored. */
  secretHash: string;
  /** The OAuth `redirect_uri` the flow was started with (GitHub checks it matches on exchange). */
  redirectUrl: string;
  /** A same-site path to send the browser to afterwards. */
  returnTo: string;
  /** Epoch milliseconds after which the state is refused. */
  expiresAt: number;
}

/** One-use sign-in states. A DB table `(id pk, secret_hash, redirect_url, return_to, expires_at)`. */
export interface StateStore {
  put(state: PendingSignIn): Promise<void>;
  /** Removes and returns the state (one use: `DELETE … RETURNING`); undefined when absent. */
  take(id: string): Promise<PendingSignIn | undefined>;
  /** Drops states that expired before `now` (housekeeping; optional to call). */
  prune(now: number): Promise<void>;
}

/** A GitHub App installation Warren knows of. */
export interface Installation {
  id: number;
  accountId: number;
  accountLogin: string;
  /** `User` or `Organization`. */
  accountType: string;
  suspended: boolean;
}

/** Installations, recorded from the setup callback and from webhooks. A DB table keyed by `id`. */
export interface InstallationStore {
  upsert(installation: Installation): Promise<void>;
  remove(id: number): Promise<void>;
  get(id: number): Promise<Installation | undefined>;
}

/** One repository of a project, by GitHub's stable numeric id (names can change, ids do not). */
export interface ProjectRepo {
  repoId: number;
  fullName: string;
  role: 'primary' | 'additional';
}

/** A project's GitHub binding: the installation its tokens come from and its explicit repo set. */
export interface ProjectRepoBinding {
  projectId: string;
  installationId: number;
  repos: ProjectRepo[];
}

/**
 * Project → repositories. DB: `project_github(project_id pk, installation_id)` and
 * `project_repos(project_id, repo_id, full_name, role, primary key (project_id, repo_id))`.
 */
export interface ProjectRepoStore {
  get(projectId: string): Promise<ProjectRepoBinding | undefined>;
  /** Binds the project to an installation and primary repository, replacing any earlier binding and repos. */
  bind(projectId: string, installationId: number, primary: ProjectRepo): Promise<void>;
  /** Adds an additional repository; adding one already present changes nothing. */
  addRepo(projectId: string, repo: ProjectRepo): Promise<void>;
  removeRepo(projectId: string, repoId: number): Promise<void>;
}
