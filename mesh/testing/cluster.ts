// cluster(topology): N mesh nodes on a MemoryNetwork with a FakeClock, ready for tests and the simulator.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { localMeshConfig, type MeshConfig } from '../config.ts';
import type { MemberSeed } from '../membership/member.ts';
import { createMeshNode, type MeshNode } from '../node.ts';
import { createSeededRandom, type Random } from '../random.ts';
import { CertificateTrust } from '../registry/trust.ts';
import { createTestAuthority, type TestAuthority } from './authority.ts';
import { FakeClock, flushMicrotasks } from './fake-clock.ts';
import { MemoryNetwork } from './memory-network.ts';
import { StaticTrust } from './static-trust.ts';

/** The shape of a test cluster. */
export interface Topology {
  size: number;
  /** Seed of every random choice (ids, probe order, loss, delay). */
  seed?: number;
  loss?: number;
  delayMs?: number | [number, number];
  config?: MeshConfig;
  /** `certificate`: real node certificates checked with jose; `static`: a key table (fast, for the simulator). */
  trust?: 'certificate' | 'static';
  /** `seed`: everyone joins through node 0; `full`: every node starts knowing all others (large simulations). */
  bootstrap?: 'seed' | 'full';
}

/** One member's identity in a cluster. */
export interface ClusterIdentity {
  origin: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate?: string;
  address: string;
}

/** A running cluster. `nodes[i]` is undefined while member i is killed. */
export interface TestCluster {
  clock: FakeClock;
  network: MemoryNetwork;
  random: Random;
  config: MeshConfig;
  authority?: TestAuthority;
  identities: ClusterIdentity[];
  nodes: (MeshNode | undefined)[];
  /** Live nodes. */
  live(): MeshNode[];
  /** Advances fake time, letting async work run between steps. */
  run(ms: number): Promise<void>;
  /** Advances until `predicate` holds, at most `maxMs` of fake time. */
  until(predicate: () => boolean, maxMs: number): Promise<boolean>;
  /** Stops member i abruptly, like kill -9. */
  kill(i: number): Promise<void>;
  /** Starts member i again with the same identity and address (fresh state) and joins it through `via`. */
  restart(i: number, via?: number): Promise<MeshNode>;
  close(): Promise<void>;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A node id drawn from `random`, so a seeded cluster has the same ids every run. */
export function seededNodeId(random: Random): string {
  let id = 'nd';
  for (let i = 0; i < 20; i++) id += ALPHABET[Math.floor(random.next() * 32)];
  return id;
}

/** Builds and starts a cluster; with `bootstrap: 'seed'` call `join()` on the result's nodes yourself or use joinAll. */
export async function cluster(topology: Topology): Promise<TestCluster> {
  const random = createSeededRandom(topology.seed ?? 1);
  const clock = new FakeClock();
  const network = new MemoryNetwork({
    clock,
    random,
    loss: topology.loss ?? 0,
    delayMs: topology.delayMs ?? [1, 5],
  });
  const config = topology.config ?? localMeshConfig();
  const trustKind = topology.trust ?? 'certificate';
  const authority = trustKind === 'certificate' ? await createTestAuthority() : undefined;
  const staticTrust = new StaticTrust();
  const identities: ClusterIdentity[] = [];
  for (let i = 0; i < topology.size; i++) {
    const origin = seededNodeId(random);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const certificate = authority
      ? await authority.certify(origin, publicKey, { nowMs: clock.now(), ttlSec: 86_400 * 30 })
      : undefined;
    staticTrust.add(origin, publicKey);
    identities.push({ origin, privateKey, publicKey, certificate, address: `mem-${origin}` });
  }
  const seeds: MemberSeed[] = identities.map((x) => ({ id: x.origin, addr: x.address }));

  // Thousands of nodes each holding N records would not fit in memory: share one frozen table.
  const shared =
    topology.bootstrap === 'full'
      ? new Map(
          seeds.map((s) => [
            s.id,
            Object.freeze({
              id: s.id,
              addr: s.addr,
              incarnation: 0,
              state: 'alive' as const,
              since: clock.now(),
            }),
          ]),
        )
      : undefined;

  const trusts: CertificateTrust[] = [];
  // Certificate checks are real async crypto: fake time must not move while one runs, or a loaded machine
  // sees members time out in fake time while their certificates are still being checked in real time.
  const quiesce = async () => {
    if (!trusts.some((t) => t.pending > 0)) return;
    const deadline = performance.now() + 10_000;
    while (trusts.some((t) => t.pending > 0) && performance.now() < deadline) await Bun.sleep(1);
    await flushMicrotasks();
  };
  const step = async (end: number) => {
    await quiesce();
    clock.advance(Math.min(10, end - clock.now()));
    await flushMicrotasks();
  };

  const start = (i: number, initial: MemberSeed[] | undefined): MeshNode => {
    const id = identities[i] as ClusterIdentity;
    const trust = authority
      ? new CertificateTrust({
          controlJwks: authority.jwks,
          issuer: authority.issuer,
          now: () => clock.now(),
        })
      : staticTrust;
    if (trust instanceof CertificateTrust) trusts.push(trust);
    const node = createMeshNode({
      transport: network.transport(id.address),
      identity: { origin: id.origin, privateKey: id.privateKey, certificate: id.certificate },
      trust,
      config,
      clock,
      random: createSeededRandom(Math.floor(random.next() * 2 ** 31)),
      // A fully bootstrapped cluster starts as if long converged: everyone at the incarnation the others
      // know (0), so the first seconds are not spent gossiping incarnation updates.
      ...(initial && shared ? { sharedMembers: shared, incarnation: 0 } : {}),
    });
    if (id.certificate) {
      node.publish('member', {
        nodeId: id.origin,
        name: id.origin,
        meshAddress: id.address,
        proxyUrl: `http://${id.address}`,
        certificate: id.certificate,
      });
    }
    return node;
  };

  const full = topology.bootstrap === 'full';
  const nodes: (MeshNode | undefined)[] = identities.map((_, i) => start(i, full ? seeds : undefined));
  const c: TestCluster = {
    clock,
    network,
    random,
    config,
    authority,
    identities,
    nodes,
    live: () => nodes.filter((n): n is MeshNode => n !== undefined),
    async run(ms) {
      const end = clock.now() + ms;
      while (clock.now() < end) await step(end);
      await quiesce();
    },
    async until(predicate, maxMs) {
      const end = clock.now() + maxMs;
      for (;;) {
        await quiesce();
        if (predicate()) return true;
        if (clock.now() >= end) return false;
        await step(end);
      }
    },
    async kill(i) {
      const n = nodes[i];
      nodes[i] = undefined;
      await n?.close();
    },
    async restart(i, via = i === 0 ? 1 : 0) {
      const n = start(i, undefined);
      nodes[i] = n;
      const seed = identities[via] as ClusterIdentity;
      void n.join([seed.address]);
      return n;
    },
    async close() {
      for (const n of nodes) await n?.close();
    },
  };
  if (!full) {
    const first = identities[0] as ClusterIdentity;
    for (const n of nodes.slice(1)) void n?.join([first.address]);
  }
  return c;
}
