// The control plane as a mesh member (origin `control`): publishes the key set and revocations, watches members.
import type { Jwks, MemberState, Revocation } from '../../contract/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  type MemberView,
  type MeshConfig,
  type MeshNode,
} from '../../mesh/index.ts';
import type { Store } from '../db/index.ts';
import type { KeyRing } from '../identity/index.ts';
import type { Log } from '../log.ts';

/** The control plane's member. */
export interface ControlMesh {
  readonly mesh: MeshNode;
  readonly address: string;
  /** Publishes the current key set and revocations (changed ones only) and removes pruned revocations. */
  sync(): Promise<void>;
  /** Addresses a node should join: this member and a few live nodes. */
  seeds(): string[];
  /** A node's state as the mesh sees it (peer-observed liveness), undefined when it never joined. */
  peerState(nodeId: string): MemberState | undefined;
  /** Called on every member state change, with the state before it (undefined for a member new to us). */
  onMemberChange(listener: (m: MemberView, previous: MemberState | undefined) => void): void;
  close(): Promise<void>;
}

export interface ControlMeshOptions {
  listen: { host: string; port: number };
  timings: MeshConfig;
  ring: KeyRing;
  store: Store;
  issuer: string;
  log: Log;
  /** How often the key set and revocations are re-published from the database (catches every writer). */
  syncIntervalMs?: number;
  /**
   * How long a new signing key is gossiped in the key set (signed by the old key) before the member switches to
   * it, so every member trusts the new key before anything is signed with it. Default three push-pull intervals
   * (90 s in production, under the ring's 2-minute publish lead): anti-entropy reaches everyone by then.
   */
  keyHandoverMs?: number;
  /** Members to join at start: a replica taking over the duties joins the nodes its predecessor last saw. */
  seeds?: string[];
}

/** How many live nodes a joining node gets besides the control plane's own member. */
const SEED_NODES = 4;

/** Binds the member and publishes what the database holds; the caller closes it. */
export async function startControlMesh(o: ControlMeshOptions): Promise<ControlMesh> {
  const trust = new CertificateTrust({ controlJwks: o.ring.jwks(), issuer: o.issuer });
  const listeners: ((m: MemberView, previous: MemberState | undefined) => void)[] = [];
  let kid = '';
  let lastKeys = '';
  const lastRevocations = new Map<string, number>();
  /** When each kid was first published in a key set by this process. */
  const gossipedSince = new Map<string, number>();
  /**
   * A member whose entries and claims are signed with the key that signs tokens now (every node trusts the
   * published JWKS). When the ring rotates, the member restarts on the same address with the new key: a
   * retired key leaves the JWKS after the longest token life, and entries signed with it would then be refused.
   */
  const start = async (listen: { host: string; port: number }, seeds: string[]): Promise<MeshNode> => {
    const signing = await o.ring.meshSigningKey();
    kid = signing.kid;
    const transport = await createUdpTransport({ hostname: listen.host, port: listen.port });
    const m = createMeshNode({
      transport,
      config: o.timings,
      identity: { origin: 'control', privateKey: signing.key },
      trust,
    });
    m.subscribe((e) => {
      if (e.type !== 'member') return;
      if (e.member.state !== 'alive')
        o.log.info('mesh member changed', { node: e.member.id, state: e.member.state });
      for (const l of listeners) l(e.member, e.previous);
    });
    lastKeys = '';
    lastRevocations.clear();
    if (seeds.length) await m.join(seeds);
    return m;
  };
  let mesh = await start(o.listen, []);
  let running: Promise<void> | undefined;
  const rotateIfNeeded = async () => {
    const next = (await o.ring.signingKey()).kid;
    if (next === kid) return false;
    const since = gossipedSince.get(next);
    if (since === undefined || Date.now() - since < (o.keyHandoverMs ?? 3 * o.timings.pushPullIntervalMs))
      return false;
    const old = mesh;
    const seeds = old
      .members()
      .filter((m) => m.id !== old.id && m.state === 'alive')
      .map((m) => m.addr);
    const [host, port] = splitAddress(old.address);
    await old.close();
    mesh = await start({ host, port }, seeds);
    o.log.info('mesh member restarted with the new signing key', { kid });
    return true;
  };
  const doSync = async () => {
    const jwks: Jwks = o.ring.jwks();
    const keysJson = JSON.stringify(jwks);
    if (keysJson !== lastKeys) {
      trust.updateControlKeys(jwks);
      mesh.publish('keyset', jwks);
      lastKeys = keysJson;
      for (const k of jwks.keys) if (!gossipedSince.has(k.kid)) gossipedSince.set(k.kid, Date.now());
    }
    if (await rotateIfNeeded()) return doSync();
    const list: Revocation[] = await o.store.revocations.list();
    const seen = new Set<string>();
    for (const r of list) {
      seen.add(r.subject);
      if (lastRevocations.get(r.subject) === r.notBefore) continue;
      mesh.publish('revocation', { subject: r.subject, notBefore: r.notBefore });
      lastRevocations.set(r.subject, r.notBefore);
    }
    for (const subject of [...lastRevocations.keys()]) {
      if (seen.has(subject)) continue;
      mesh.remove('revocation', subject);
      lastRevocations.delete(subject);
    }
  };
  const sync = () => {
    // One sync at a time; a call during one runs again after it, so nothing written meanwhile is missed.
    const next = (running ?? Promise.resolve()).then(doSync);
    running = next.catch((e) => o.log.error('mesh sync failed', { message: (e as Error).message }));
    return next;
  };
  await sync();
  const seeds = (o.seeds ?? []).filter((a) => a !== mesh.address);
  if (seeds.length > 0)
    void mesh.join(seeds).catch((e) => o.log.warn('mesh join failed', { message: (e as Error).message }));
  const timer = setInterval(() => void sync().catch(() => {}), o.syncIntervalMs ?? 1_000);
  timer.unref();
  o.log.info('mesh member listening', { address: mesh.address });
  return {
    get mesh() {
      return mesh;
    },
    get address() {
      return mesh.address;
    },
    sync,
    seeds() {
      const live = mesh.members().filter((m) => m.id !== mesh.id && m.state === 'alive');
      for (let i = live.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [live[i], live[j]] = [live[j] as MemberView, live[i] as MemberView];
      }
      return [mesh.address, ...live.slice(0, SEED_NODES).map((m) => m.addr)];
    },
    peerState: (nodeId) => mesh.member(nodeId)?.state,
    onMemberChange(listener) {
      listeners.push(listener);
    },
    async close() {
      clearInterval(timer);
      await mesh.close();
    },
  };
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(i + 1))];
}
