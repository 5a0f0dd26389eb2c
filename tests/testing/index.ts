// Shared harnesses of the cross-process tests (and the screenshot and bench scripts): a headless Chromium,
// `warren up`, `warren control` processes.

export { type ControlProc, startControlProcess, stopProcess, tempDir } from '../mesh-harness.ts';
export {
  ARTIFACTS,
  CHROMIUM,
  capture,
  DESKTOP,
  launchUiBrowser,
  PHONE,
  type UiBrowser,
} from './ui-browser.ts';
export { startWarrenUp, type WarrenUp } from './warren-up.ts';
