// The composition root of the control plane's HTTP side: one Elysia app from the wired dependencies.
import { openapi } from '@elysiajs/openapi';
import { toJsonSchema } from '@valibot/to-json-schema';
import { Elysia } from 'elysia';
import type { ControlDeps } from './deps.ts';
import { inputGuard } from './hardening/index.ts';
import { activityRoutes } from './routes/activity.ts';
import { authRoutes } from './routes/auth.ts';
import { createErrorHandler } from './routes/error-handler.ts';
import { eventRoutes } from './routes/events.ts';
import { gitTokenRoutes } from './routes/git-tokens.ts';
import { githubRoutes } from './routes/github.ts';
import { githubAuthRoutes } from './routes/github-auth.ts';
import { CONTROL_VERSION, healthRoutes } from './routes/health.ts';
import { keyRoutes } from './routes/keys.ts';
import { meshRoutes } from './routes/mesh.ts';
import { nodeRoutes } from './routes/nodes.ts';
import { projectRoutes } from './routes/projects.ts';
import { repositoryRoutes } from './routes/repositories.ts';
import { revocationRoutes } from './routes/revocations.ts';
import { taskRoutes } from './routes/tasks.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { uiRoutes } from './routes/ui.ts';
import { userRoutes } from './routes/users.ts';
import { workspaceRoutes } from './routes/workspaces.ts';

/** Path of the OpenAPI document the app serves (and `bun run openapi` reads). */
export const OPENAPI_PATH = '/openapi.json';

/** Valibot → JSON Schema for the spec; actions JSON Schema cannot express (trim, check) are left out. */
const mapJsonSchema = {
  valibot: (schema: Parameters<typeof toJsonSchema>[0]) => {
    const json = toJsonSchema(schema, { errorMode: 'ignore' }) as Record<string, unknown>;
    delete json.$schema;
    return json;
  },
};

export function createControlApp(deps: ControlDeps) {
  return new Elysia()
    .use(
      openapi({
        provider: null,
        // The JWKS path ends in .json; without this it would be dropped from the spec as a static file.
        exclude: { staticFile: false },
        specPath: OPENAPI_PATH,
        mapJsonSchema,
        documentation: {
          info: {
            title: 'Warren control plane',
            version: CONTROL_VERSION,
            description:
              'Users, projects, nodes, workspaces and the identity issuer of Warren. Request bodies are JSON objects ' +
              '(else 415, or 400 past 64 levels of nesting; 413 past 1 MiB); sign-in, node join, token minting and ' +
              'repeated failed authentication are rate limited per client (429 with Retry-After).',
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'An API token (wrn_api_…)' },
              session: { type: 'apiKey', in: 'cookie', name: 'warren_session' },
              nodeCertificate: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              nodeProof: {
                type: 'apiKey',
                in: 'header',
                name: 'Warren-Node-Proof',
                description:
                  "With the node certificate: a fresh JWS (typ warren-node-proof+jwt) signed with the node's key over htm, htu, bd (body SHA-256), iat and jti",
              },
            },
          },
        },
      }),
    )
    .onError(createErrorHandler(deps.log))
    .use(inputGuard(guardOptions(deps))) // before every route: rate limits, CSRF, body checks; 401s counted
    .onAfterResponse(({ request, set }) => {
      deps.metrics.request(request.method, typeof set.status === 'number' ? set.status : 200);
    })
    .use(eventRoutes(deps)) // first: its global after-response hook pushes the other routes' writes
    .use(healthRoutes(deps))
    .use(authRoutes(deps))
    .use(githubAuthRoutes(deps))
    .use(githubRoutes(deps))
    .use(userRoutes(deps))
    .use(tokenRoutes(deps))
    .use(projectRoutes(deps))
    .use(repositoryRoutes(deps))
    .use(nodeRoutes(deps))
    .use(meshRoutes(deps))
    .use(workspaceRoutes(deps))
    .use(gitTokenRoutes(deps))
    .use(revocationRoutes(deps))
    .use(keyRoutes(deps))
    .use(taskRoutes(deps, { tasks: deps.tasks, dispatch: (id) => deps.taskDispatcher.dispatch(id) }))
    .use(activityRoutes(deps, deps.activity))
    .use(uiRoutes(deps));
}

export type ControlApp = ReturnType<typeof createControlApp>;

/** The input guard's settings; the control plane's own origins are its bound URL and WARREN_PUBLIC_URL. */
function guardOptions(deps: ControlDeps) {
  return {
    config: deps.config.hardening,
    urls: [deps.publicUrl, deps.config.infra.publicUrl],
    clock: deps.clock,
  };
}
