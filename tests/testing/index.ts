// Shared harnesses of the cross-process tests (and the screenshot script): a headless Chromium, `warren up`.
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
