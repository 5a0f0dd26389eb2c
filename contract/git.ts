// GitHub on the wire: a workspace's git token (`POST /api/v1/workspaces/{id}/git-token`) and project repositories.
import * as v from 'valibot';

/** A GitHub installation token limited to the workspace's project repositories, contents read/write. */
export const GitToken = v.object({
  token: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  /** ISO 8601; the node stops serving the token shortly before. */
  expiresAt: v.pipe(v.string(), v.isoTimestamp()),
  /** The exact repository-ID set the token can see. */
  repositoryIds: v.array(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export type GitToken = v.InferOutput<typeof GitToken>;

const RepoFullName = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(140),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9_.-]{1,100}$/, 'must be owner/name'),
);

/** One repository of a project, by GitHub's numeric id. */
export const ProjectRepository = v.object({
  repoId: v.pipe(v.number(), v.integer(), v.minValue(1)),
  fullName: v.string(),
  role: v.picklist(['primary', 'additional']),
});
export type ProjectRepository = v.InferOutput<typeof ProjectRepository>;

/** `GET /api/v1/projects/{id}/repositories`: the installation and the explicit repository set. */
export const ProjectRepositories = v.object({
  installationId: v.pipe(v.number(), v.integer(), v.minValue(1)),
  repos: v.array(ProjectRepository),
});
export type ProjectRepositories = v.InferOutput<typeof ProjectRepositories>;

/** `PUT /api/v1/projects/{id}/repositories/primary`. */
export const ProjectRepositoryBind = v.object({
  installationId: v.pipe(v.number(), v.integer(), v.minValue(1)),
  repo: RepoFullName,
});

/** `POST /api/v1/projects/{id}/repositories`: an additional repository, checked for user and App access. */
export const ProjectRepositoryAdd = v.object({ repo: RepoFullName });

/** `GET /api/v1/projects/{id}/repositories/suggestions`: same-owner submodules not yet in the set. */
export const RepositorySuggestions = v.object({ repos: v.array(v.string()) });

/** `GET /api/v1/auth/providers`: which sign-in methods this instance offers (the UI shows buttons for them). */
export const AuthProviders = v.object({
  github: v.object({
    /** GitHub sign-in is configured: `GET /api/v1/auth/github/login` starts it. */
    enabled: v.boolean(),
    /** Where to install the GitHub App (null when GitHub is off or the App slug is not configured). */
    installUrl: v.nullable(v.string()),
    /** New users signing in with GitHub wait for an admin's approval. */
    requiresApproval: v.boolean(),
  }),
});
export type AuthProviders = v.InferOutput<typeof AuthProviders>;

const QueryText = v.pipe(v.string(), v.maxLength(512));

/** `GET /api/v1/auth/github/login?return_to=/path`: where the browser lands after signing in. */
export const GitHubLoginQuery = v.object({ return_to: v.optional(QueryText) });

/** `GET /api/v1/auth/github/callback`: what GitHub appends when it sends the browser back. */
export const GitHubCallbackQuery = v.object({
  code: v.optional(QueryText),
  state: v.optional(QueryText),
  /** Set instead of `code` when the user declined (`access_denied`). */
  error: v.optional(QueryText),
});

/** `GET /api/v1/github/setup`: GitHub's redirect after the App was installed or its repositories changed. */
export const GitHubSetupQuery = v.object({
  installation_id: v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,15}$/, 'must be a number')),
  setup_action: v.optional(QueryText),
});

/** A GitHub App installation Warren recorded, as `GET /api/v1/github/installations` lists it. */
export const GitHubInstallation = v.object({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  accountLogin: v.string(),
  /** `User` or `Organization`. */
  accountType: v.string(),
  suspended: v.boolean(),
});
export type GitHubInstallation = v.InferOutput<typeof GitHubInstallation>;
