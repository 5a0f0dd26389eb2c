// contract/: the valibot schemas for everything that crosses a boundary. Imports nothing of Warren's.
export * from './agent.ts';
export * from './api.ts';
export * from './decode.ts';
export * from './error.ts';
export * from './events.ts';
export * from './git.ts';
export * from './ids.ts';
export * from './jwks.ts';
export * from './logs.ts';
export * from './node-proof.ts';
export * from './provisioning.ts';
export * from './registry.ts';
export * from './search.ts';
export * from './status.ts';
export * from './tasks.ts';
export * from './tokens.ts';
