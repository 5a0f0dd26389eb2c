// The GitHub App's callbacks: the setup redirect after an installation, and signed webhook deliveries.
import { Elysia } from 'elysia';
import * as v from 'valibot';
import { GitHubInstallation, GitHubSetupQuery, list } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError } from '../errors.ts';
import { listUserInstallations, recordInstallationFromSetup } from '../github/index.ts';
import { requireGitHub, unwrap } from './github-outcome.ts';
import { responses, userSecurity } from './responses.ts';

/** Where the browser goes after an installation was recorded (the UI reads the id from the query). */
export function installedLocation(installationId: number): string {
  return `/?github_installation=${installationId}`;
}

export function githubRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'github', prefix: '/api/v1/github' })
    .get(
      '/setup',
      async ({ request, query, set }) => {
        const github = requireGitHub(deps);
        const p = await deps.auth.user(request, 'write');
        const userToken = await github.stores.userTokens.get(p.user.id);
        if (!userToken) throw new ControlError('conflict', 'sign in with GitHub first');
        const installation = unwrap(
          await recordInstallationFromSetup({
            app: github.app,
            installations: github.stores.installations,
            userToken,
            installationId: query.installation_id,
          }),
          set,
        );
        return new Response(null, {
          status: 302,
          headers: { location: installedLocation(installation.id), 'cache-control': 'no-store' },
        });
      },
      {
        query: GitHubSetupQuery,
        response: { ...responses(v.string(), 400, 401, 403, 404, 409, 502, 503), 302: v.string() },
        detail: {
          operationId: 'githubSetup',
          summary:
            "GitHub's redirect after installing the App: records the installation if the user can see it",
          tags: ['github'],
          security: userSecurity,
        },
      },
    )
    .get(
      '/installations',
      async ({ request, set }) => {
        const github = requireGitHub(deps);
        const p = await deps.auth.user(request, 'read');
        const userToken = await github.stores.userTokens.get(p.user.id);
        if (!userToken) throw new ControlError('conflict', 'sign in with GitHub first');
        const found = unwrap(
          await listUserInstallations({
            app: github.app,
            installations: github.stores.installations,
            userToken,
          }),
          set,
        );
        return {
          items: found.map((i) => ({
            id: i.id,
            accountLogin: i.accountLogin,
            accountType: i.accountType,
            suspended: i.suspended,
          })),
        };
      },
      {
        response: responses(list(GitHubInstallation), 401, 403, 404, 409, 502, 503),
        detail: {
          operationId: 'listGitHubInstallations',
          summary: 'Installations of the App that Warren recorded and the calling user can access',
          tags: ['github'],
          security: userSecurity,
        },
      },
    )
    .post(
      '/webhook',
      // The HMAC covers the raw bytes: the handler reads the unparsed body itself.
      ({ request }) => requireGitHub(deps).webhook(request),
      {
        parse: 'none',
        response: responses(v.object({ received: v.boolean(), effect: v.string() }), 400, 401, 404),
        detail: {
          operationId: 'githubWebhook',
          summary: 'GitHub webhook deliveries (X-Hub-Signature-256 verified): installation events',
          tags: ['github'],
        },
      },
    );
}
