// node/testing: a test issuer that speaks the control plane's wire shapes, a test node, an echo app, eventually().
export { eventually } from './eventually.ts';
export { type MintOptions, startTestIssuer, type TestIssuer } from './test-issuer.ts';
export { startTestNode, type TestNode, type TestNodeOptions, tempDataDir } from './test-node.ts';

/** Absolute path of the echo app, for app commands in tests: `bun ${ECHO_APP}`. */
export const ECHO_APP = `${import.meta.dir}/echo-app.ts`;
