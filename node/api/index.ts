// node/api: the node's HTTP API (Hono) and its OpenAPI document.
export { createNodeApi, type NodeApiDeps } from './node-api.ts';
export { nodeOpenApiDocument } from './openapi.ts';
