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
