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
    verifyAdmin: unused,
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
          'Served by every node. `/_node/*` takes a control command token (JWT typ warren-ctl+jwt); the mesh ' +
          "views also take the node's local admin credential (`<node data dir>/admin-credential`). A loopback " +
          'caller gets nothing for being on loopback.',
      },
      components: {
        securitySchemes: {
          controlCommand: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          nodeAdmin: {
            type: 'http',
            scheme: 'bearer',
            description: "The node's local admin credential (wrn_node_…), read from its data dir",
          },
        },
      },
    },
  });
  return doc as unknown as Record<string, unknown>;
}
