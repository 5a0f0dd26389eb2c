// control/lease: which replica runs the duties that must run once, and the fence their writes carry.
export {
  type Duty,
  type DutyRunner,
  type DutyRunnerOptions,
  defaultLeaseConfig,
  type Fence,
  intervalDuty,
  type LeaseConfig,
  startDutyRunner,
} from './duty-runner.ts';
export {
  createLeaseStore,
  type LeaseRow,
  type LeaseStore,
  type LeaseTerm,
  stillHolds,
} from './lease-store.ts';
