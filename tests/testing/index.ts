// Shared harnesses of the cross-process tests (and the screenshot and bench scripts): a headless Chromium,
// `warren up`, `warren control` and `warren node join` processes and their ready lines.

export { type ControlProc, startControlProcess, stopProcess, tempDir } from '../mesh-harness.ts';
export { type AgentNode, agentNode } from './agent-node.ts';
export { ORIGIN_APP } from './fixture-apps.ts';
export { type ServedGit, startServedGit } from './served-git.ts';
export { startTaskWorld, type TaskView, type TaskWorld } from './task-world.ts';
export {
  ARTIFACTS,
  CHROMIUM,
  capture,
  DESKTOP,
  launchUiBrowser,
  PHONE,
  type UiBrowser,
} from './ui-browser.ts';
export { startUiControl, type UiControl } from './ui-control.ts';
export {
  CONTROL_READY,
  NODE_READY,
  type ReadyLine,
  readReadyLine,
  type StartedWarren,
  spawnWarrenCli,
  startWarren,
  WARREN_CLI,
  type WarrenSpawnOptions,
} from './warren-process.ts';
export { startWarrenUp, type WarrenUp } from './warren-up.ts';
export { untilWorkspaceStatus } from './workspace-status.ts';
