// control/nodes: join, heartbeat and node liveness.

export { createLiveness, GONE, type Liveness, type LivenessConfig, nodeStatusOf } from './liveness.ts';
export { createNodeService, type NodeService } from './node-service.ts';
