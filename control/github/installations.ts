// Recording GitHub App installations: from the setup callback (checked against the user's installations).
import type { GitHubApp } from './github-client.ts';
import { getAs } from './github-client.ts';
import { GitHubUserInstallationsResponse } from './github-shapes.ts';
import { failure, githubFailure, type Outcome, success } from './outcome.ts';
import type { Installation, InstallationStore } from './store.ts';

/** Pages of `GET /user/installations` read at most (100 each) before giving up. */
const MAX_PAGES = 10;

/**
 * Records the installation named by the setup callback's `installation_id`. That query parameter is
 * untrusted, so it is recorded only if the signed-in user's token can see that installation.
 */
export async function recordInstallationFromSetup(input: {
  app: GitHubApp;
  installations: InstallationStore;
  userToken: string;
  installationId: string | number;
}): Promise<Outcome<Installation>> {
  const id = Number(input.installationId);
  if (!Number.isSafeInteger(id) || id <= 0)
    return failure('invalid_request', 'installation_id must be a number');
  try {
    const found = await findUserInstallation(input.app, input.userToken, id);
    if (!found) return failure('not_found', 'no such installation for this user');
    await input.installations.upsert(found);
    return success(found);
  } catch (error) {
    return githubFailure(error);
  }
}

/** Finds installation `id` among those the user's token can access; undefined when not there. */
export async function findUserInstallation(
  app: GitHubApp,
  userToken: string,
  id: number,
): Promise<Installation | undefined> {
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await getAs(
      app,
      userToken,
      'GET /user/installations',
      { per_page: 100, page },
      GitHubUserInstallationsResponse,
    );
    const hit = res.installations.find((i) => i.id === id);
    if (hit) {
      return {
        id: hit.id,
        accountId: hit.account.id,
        accountLogin: hit.account.login,
        accountType: hit.account.type,
        suspended: hit.suspended_at != null,
      };
    }
    if (res.installations.length < 100) return undefined;
  }
  return undefined;
}
