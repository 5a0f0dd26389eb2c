// node/proxy: workspace routing, proofs, header hygiene, HTTP and WebSocket forwarding.
export { TOKEN_COOKIE } from './credentials.ts';
export { startRawFront } from './raw-front.ts';
export type { AgentData, SocketData } from './socket-data.ts';
export { type AgentSockets, createSocketHandler } from './socket-handler.ts';
export { NOT_A_WORKSPACE, WorkspaceProxy } from './workspace-proxy.ts';
