// node/proxy: workspace routing, proofs, header hygiene, HTTP and WebSocket forwarding.
export { originOf } from './app-origin.ts';
export type { Convergence } from './convergence.ts';
export { TOKEN_COOKIE } from './credentials.ts';
export { defaultForwardConfig, type ForwardConfig, localForwardConfig } from './forward-config.ts';
export { LiveSessions } from './live-sessions.ts';
export { HOP_HEADER, type MeshRoutes } from './mesh-forward.ts';
export { startRawFront } from './raw-front.ts';
export { badHost, unexpectedError } from './responses.ts';
export { validHost } from './route.ts';
export type { AgentData, SocketData } from './socket-data.ts';
export { type AgentSockets, createSocketHandler } from './socket-handler.ts';
export { NOT_A_WORKSPACE, WorkspaceProxy } from './workspace-proxy.ts';
