// node/laptop: pieces of `warren node join --laptop`: run-at-login service files, the step printer, wake detection.

export { joinLaptop, LaptopJoinError, type LaptopJoinOptions, type LaptopNode } from './laptop-join.ts';
export {
  LOGIN_SERVICE,
  type LoginServiceInput,
  type LoginServicePlan,
  planLoginService,
  renderLaunchdPlist,
  renderSystemdUserUnit,
  SecretInServiceError,
  writeLoginService,
} from './login-service.ts';
export { createStepPrinter, LAPTOP_JOIN_STEPS, type StepHandle, type StepPrinter } from './step-printer.ts';
export {
  createWakeDetector,
  defaultWakeDetectorConfig,
  startWakeDetector,
  systemWakeClocks,
  type WakeClocks,
  type WakeDetector,
  type WakeDetectorConfig,
} from './wake-detector.ts';
