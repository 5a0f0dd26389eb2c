// mesh/testing: fakes and fixtures for tests, the simulator and benchmarks (never imported by production code).

export { type SimulationOptions, type SimulationReport, simulate } from '../sim/simulation.ts';
export { createTestAuthority, type TestAuthority, type TestNodeIdentity } from './authority.ts';
export { type ClusterIdentity, cluster, seededNodeId, type TestCluster, type Topology } from './cluster.ts';
export { eventually } from './eventually.ts';
export { FakeClock, flushMicrotasks } from './fake-clock.ts';
export {
  MemoryNetwork,
  type MemoryNetworkOptions,
  MemoryTransport,
  type NetworkStats,
} from './memory-network.ts';
export { StaticTrust } from './static-trust.ts';
