// tests/: the real-process and network-namespace harnesses, shared with the benchmarks (scripts/bench/mesh*.ts).

export type { LoadPlan, LoadReport, Sample } from './fixtures/forward-load.ts';
export {
  type ControlProc,
  killLeftoverApps,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_CONFIG,
} from './mesh-harness.ts';
export { netnsAvailable } from './netns.ts';
export { type NetnsMesh, startNetnsMesh } from './netns-mesh.ts';
export { sandboxAvailable } from './sandbox-harness.ts';
