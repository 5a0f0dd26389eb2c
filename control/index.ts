// control/: the control plane. Start it with startControl; the CLI and scripts import only this file.
export { type ControlApp, createControlApp, OPENAPI_PATH } from './app.ts';
export { ADMIN_TOKEN_FILE, type FirstStart, LOGIN_LINK_FILE } from './bootstrap.ts';
export { type Clock, systemClock } from './clock.ts';
export {
  ConfigError,
  type ControlConfig,
  type ControlFlags,
  defaultControlConfig,
  loadControlConfig,
} from './config.ts';
export { CONTROL_FILE, UP_FILE } from './data-dir.ts';
export { type ControlDeps, openControlDeps } from './deps.ts';
export { rememberLocalNodePort } from './fleet/index.ts';
export { createLog, type Log } from './log.ts';
export { type RunningControl, type StartOptions, startControl } from './server.ts';
