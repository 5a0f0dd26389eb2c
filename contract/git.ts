// The git credential a node gets for one workspace: `POST /api/v1/workspaces/{id}/git-token`.
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
