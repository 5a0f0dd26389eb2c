// valibot schemas for the GitHub REST and webhook shapes Warren reads (validate every response).
import * as v from 'valibot';

const GitHubNumericId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const Login = v.pipe(v.string(), v.minLength(1), v.maxLength(100));

/** `POST /login/oauth/access_token` (JSON answer). */
export const OAuthTokenResponse = v.object({
  access_token: v.pipe(v.string(), v.minLength(1)),
  token_type: v.optional(v.string()),
});

/** `GET /user`. */
export const GitHubUserResponse = v.object({
  id: GitHubNumericId,
  login: Login,
  name: v.optional(v.nullable(v.string()), null),
  avatar_url: v.optional(v.nullable(v.string()), null),
});

/** `GET /user/emails`. */
export const GitHubEmailsResponse = v.array(
  v.object({
    email: v.pipe(v.string(), v.email()),
    primary: v.boolean(),
    verified: v.boolean(),
  }),
);

const Account = v.object({ id: GitHubNumericId, login: Login, type: v.optional(v.string(), 'User') });

/** One installation as `GET /user/installations` and the `installation` webhook describe it. */
export const GitHubInstallationShape = v.object({
  id: GitHubNumericId,
  account: Account,
  suspended_at: v.optional(v.nullable(v.string()), null),
});

/** `GET /user/installations`. */
export const GitHubUserInstallationsResponse = v.object({
  total_count: v.number(),
  installations: v.array(GitHubInstallationShape),
});

/** `GET /repos/{owner}/{repo}` and `GET /repositories/{id}`. */
export const GitHubRepositoryResponse = v.object({
  id: GitHubNumericId,
  name: v.pipe(v.string(), v.minLength(1)),
  full_name: v.pipe(v.string(), v.regex(/^[^/\s]+\/[^/\s]+$/)),
  owner: Account,
  private: v.boolean(),
  default_branch: v.optional(v.string(), 'main'),
  clone_url: v.optional(v.string()),
  /** Present for user tokens: what the user may do there. */
  permissions: v.optional(v.object({ pull: v.boolean(), push: v.optional(v.boolean(), false) })),
});
export type GitHubRepositoryResponse = v.InferOutput<typeof GitHubRepositoryResponse>;

/** `GET /repos/{owner}/{repo}/contents/{path}` for a file. */
export const GitHubFileContentResponse = v.object({
  type: v.literal('file'),
  encoding: v.literal('base64'),
  content: v.string(),
});

/** What octokit's auth-app hands back for an installation token, checked before Warren uses it. */
export const InstallationTokenAuthentication = v.object({
  token: v.pipe(v.string(), v.minLength(1)),
  expiresAt: v.pipe(v.string(), v.isoTimestamp()),
  repositoryIds: v.optional(v.array(GitHubNumericId)),
  permissions: v.record(v.string(), v.string()),
});

/** The webhook events Warren acts on; others are acknowledged and ignored. */
export const InstallationEventPayload = v.object({
  action: v.string(),
  installation: GitHubInstallationShape,
});

/** `POST /repos/{owner}/{repo}/pulls` (201) and `PATCH /repos/{owner}/{repo}/pulls/{number}` (200). */
export const GitHubPullRequestResponse = v.object({
  number: GitHubNumericId,
  // Shown as a link in the UI: web addresses only (a `javascript:` URL is a URL too).
  html_url: v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//)),
  state: v.string(),
  head: v.object({ ref: v.string() }),
  base: v.object({ ref: v.string() }),
});
