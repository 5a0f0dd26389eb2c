// control/providers/testing: node stacks that run the real Pulumi program under mocks, for provider tests.
export { MockNodeStacks, type MockResource } from './mock-node-stacks.ts';
