// control/nodes: join, heartbeat and node liveness.
export { createNodeService, type NodeService } from './node-service.ts';
