// The node API's OpenAPI document, generated from the same Hono routes and valibot schemas.
import { generateSpecs } from 'hono-openapi';
import { NODE_VERSION } from '../version.ts';
import { createNodeApi } from './node-api.ts';

/** The OpenAPI 3.1 document of the node API (`bun run openapi` writes it to openapi/node.json). */
export async function nodeOpenApiDocument(): Promise<Record<string, unknown>> {
  const unused = () => {
    throw new Error('not served: this app only describes routes');
  };
  const app = createNodeApi({
    version: NODE_VERSION,
    verifyCommand: unused,
    info: unused,
    workspaces: unused,
    apply: unused,
    metrics: unused,
  });
  const doc = await generateSpecs(app, {
    documentation: {
      openapi: '3.1.0',
      info: {
        title: 'Warren node API',
        version: NODE_VERSION,
        description:
          'Served by every node. `/_node/*` takes a control command token (JWT typ warren-ctl+jwt).',
      },
      components: {
        securitySchemes: { controlCommand: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  return doc as unknown as Record<string, unknown>;
}
