// Test doubles for control/github: the fake GitHub server, webhook deliveries, App keys and memory stores.
export { generateAppKey } from './app-key.ts';
export {
  FakeGitHub,
  type FakeGitHubOptions,
  type FakeInstallation,
  type FakePullRequest,
  type FakeRepo,
  type FakeUser,
  type MintedToken,
  startFakeGitHub,
} from './fake-github.ts';
export { type GitHubWorld, startGitHubWorld, WORLD, WORLD_INSTALLATION } from './github-world.ts';
export { MemoryInstallationStore, MemoryProjectRepoStore, MemoryStateStore } from './memory-stores.ts';
export { deliverWebhook } from './webhook-delivery.ts';
