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
  for await (const page of userInstallationPages(app, userToken)) {
    const hit = page.find((i) => i.id === id);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The installations of this App that Warren has recorded and the user's token can access (the ones the
 * user may bind projects through).
 */
export async function listUserInstallations(input: {
  app: GitHubApp;
  installations: InstallationStore;
  userToken: string;
}): Promise<Outcome<Installation[]>> {
  try {
    const out: Installation[] = [];
    for await (const page of userInstallationPages(input.app, input.userToken)) {
      for (const i of page) {
        const recorded = await input.installations.get(i.id);
        if (recorded) out.push(recorded);
      }
    }
    return success(out);
  } catch (error) {
    return githubFailure(error);
  }
}

async function* userInstallationPages(app: GitHubApp, userToken: string): AsyncGenerator<Installation[]> {
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await getAs(
      app,
      userToken,
      'GET /user/installations',
      { per_page: 100, page },
      GitHubUserInstallationsResponse,
    );
    yield res.installations.map((i) => ({
      id: i.id,
      accountId: i.account.id,
      accountLogin: i.account.login,
      accountType: i.account.type,
      suspended: i.suspended_at != null,
    }));
    if (res.installations.length < 100) return;
  }
}
