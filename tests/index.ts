// tests/: the real-process harness, shared with the benchmarks (scripts/bench/mesh.ts).
export {
  type ControlProc,
  killLeftoverApps,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_CONFIG,
} from './mesh-harness.ts';
