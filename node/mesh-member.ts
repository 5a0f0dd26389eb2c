// The node's mesh member: binds UDP+TCP, publishes its member and workspace entries, joins seeds, feeds auth.
import type { KeyObject } from 'node:crypto';
import {
  CONTROL_ORIGIN,
  type Jwks,
  type RegistryEntry,
  type Revocation,
  type WorkspaceEntryValue,
  type WorkspaceReport,
} from '../contract/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  type MeshConfig,
  type MeshNode,
  type Transport,
} from '../mesh/index.ts';
import type { KeySet, Revocations } from './auth/index.ts';
import {
  createTailnetPeerTransport,
  type LocalApiClient,
  TAILNET_REJECTIONS,
  type TailnetRejection,
} from './tailscale/index.ts';

/** What the node's mesh member needs from the rest of the node. */
export interface NodeMeshOptions {
  listen: { host: string; port: number };
  timings: MeshConfig;
  nodeId: string;
  name: string;
  issuer: string;
  /** The node's signing key (the one its certificate vouches for). */
  key: KeyObject;
  certificate: string;
  /** The control plane's key set at start (from join, heartbeat or the saved state). */
  jwks: Jwks;
  /** Where peers forward requests for this node's workspaces. */
  proxyUrl: string;
  keys: KeySet;
  revocations: Revocations;
  /** Revocations known from the last heartbeat answer, merged with those from the registry. */
  controlRevocations: Revocation[];
  log: (line: string) => void;
  /** `--network tailscale`: tailscaled's LocalAPI; every mesh message's sender is checked with whois. Unset: direct. */
  tailnet?: LocalApiClient;
}

/** A running node mesh member. */
export interface NodeMesh {
  readonly mesh: MeshNode;
  /** `host:port` of the member. */
  readonly address: string;
  /** Mesh messages dropped because their sender failed the tailnet whois check (tailscale mode only). */
  readonly tailnetRejections?: Readonly<Record<TailnetRejection, number>>;
  /** Publishes one entry per workspace hosted here; removes entries of workspaces that are gone. */
  syncWorkspaces(reports: readonly WorkspaceReport[]): void;
  /** Publishes the member entry again (after a certificate renewal). */
  publishMember(certificate: string): void;
  /** Revocations from a heartbeat answer: merged with the registry's and handed to the verifier. */
  controlRevocations(list: Revocation[]): void;
  /** Joins the given seeds unless this member already sees enough live peers. */
  joinSeeds(seeds: readonly string[] | undefined): Promise<void>;
  /**
   * Whether the registry has caught up with the mesh since start: a push-pull brought in all a live peer held,
   * or there was nobody to learn from (no seed but itself and no peer known). It never goes back.
   */
  inSync(): boolean;
  /** The registry's latest key set from the control origin, if any. */
  registryKeys(): Jwks | undefined;
  /** Announces a graceful leave, lets it spread briefly, and closes. */
  close(): Promise<void>;
}

/** Starts the node's member; it joins nobody until joinSeeds() is called. */
export async function startNodeMesh(o: NodeMeshOptions): Promise<NodeMesh> {
  const udp = await createUdpTransport({ hostname: o.listen.host, port: o.listen.port });
  const trust = new CertificateTrust({ controlJwks: o.jwks, issuer: o.issuer });
  let tailnetRejections: Record<TailnetRejection, number> | undefined;
  let memberEntries = (): RegistryEntry[] => [];
  let transport: Transport = udp;
  if (o.tailnet) {
    const counts = Object.fromEntries(TAILNET_REJECTIONS.map((r) => [r, 0])) as Record<
      TailnetRejection,
      number
    >;
    tailnetRejections = counts;
    transport = createTailnetPeerTransport({
      inner: udp,
      client: o.tailnet,
      trust,
      memberEntries: () => memberEntries(),
      onReject(reason, detail) {
        const n = ++counts[reason];
        // A hostile peer must not flood the log: the first few, then every power of two.
        if (n <= 5 || (n & (n - 1)) === 0) o.log(`mesh message dropped (${reason}, #${n}): ${detail}`);
      },
    });
  }
  const mesh = createMeshNode({
    transport,
    config: o.timings,
    identity: { origin: o.nodeId, privateKey: o.key, certificate: o.certificate },
    trust,
  });
  memberEntries = () => mesh.entries('member');
  const published = new Map<string, string>();
  // Set when the control plane's last word (the seeds it gave) names no other member and none is known.
  let alone = false;
  let fromControl = o.controlRevocations;

  const publishMember = (certificate: string) => {
    mesh.publish('member', {
      nodeId: o.nodeId,
      name: o.name,
      meshAddress: mesh.address,
      proxyUrl: o.proxyUrl,
      certificate,
    });
  };
  const applyRevocations = () => {
    // One list, the latest notBefore per subject, from both the heartbeat and the registry.
    const merged = new Map<string, Revocation>();
    const add = (r: Revocation) => {
      const had = merged.get(r.subject);
      if (!had || had.notBefore < r.notBefore) merged.set(r.subject, r);
    };
    for (const r of fromControl) add(r);
    for (const e of mesh.entries('revocation')) if (e.origin === CONTROL_ORIGIN) add(e.value as Revocation);
    o.revocations.replace([...merged.values()]);
  };
  const registryKeys = (): Jwks | undefined => {
    const e = mesh.entries('keyset').find((k) => k.origin === CONTROL_ORIGIN);
    return e ? (e.value as Jwks) : undefined;
  };
  mesh.subscribe((ev) => {
    if (ev.type !== 'entry' || ev.entry.origin !== CONTROL_ORIGIN) return;
    if (ev.entry.kind === 'revocation') applyRevocations();
    else if (ev.entry.kind === 'keyset' && !ev.entry.deleted) {
      o.keys
        .replace(ev.entry.value as Jwks)
        .catch((e) => o.log(`key set from the mesh refused: ${(e as Error).message}`));
    }
  });
  publishMember(o.certificate);
  o.log(`mesh member ${o.nodeId} on ${mesh.address}`);

  return {
    mesh,
    address: mesh.address,
    ...(tailnetRejections ? { tailnetRejections } : {}),
    syncWorkspaces(reports) {
      const seen = new Set<string>();
      for (const r of reports) {
        seen.add(r.id);
        const value: WorkspaceEntryValue = {
          workspaceId: r.id,
          nodeId: o.nodeId,
          status: r.status,
          ports: r.port ? [r.port] : [],
        };
        const json = JSON.stringify(value);
        if (published.get(r.id) === json) continue;
        published.set(r.id, json);
        mesh.publish('workspace', value);
      }
      for (const id of published.keys()) {
        if (seen.has(id)) continue;
        published.delete(id);
        mesh.remove('workspace', id);
      }
    },
    publishMember,
    controlRevocations(list) {
      fromControl = list;
      applyRevocations();
    },
    async joinSeeds(seeds) {
      const others = (seeds ?? []).filter((s) => s !== mesh.address);
      if (others.length === 0 && mesh.members().every((m) => m.id === o.nodeId)) alone = true;
      const live = mesh.members().filter((m) => m.id !== o.nodeId && m.state === 'alive').length;
      // Enough peers already: gossip keeps us in; re-joining on every heartbeat would only add traffic.
      if (others.length === 0 || live >= Math.min(2, others.length)) return;
      const n = await mesh.join(others);
      if (n > 0) o.log(`mesh joined through ${n} of ${others.length} seeds`);
    },
    inSync: () => alone || mesh.syncedAt() !== undefined,
    registryKeys,
    async close() {
      mesh.leave();
      // Give the leave a few gossip rounds to spread; peers would otherwise only learn it by probing.
      await Bun.sleep(Math.min(500, o.timings.gossipIntervalMs * 3));
      await mesh.close();
    },
  };
}

/** The mesh counters in the Prometheus text format, for the node's /metrics. */
export function renderMeshMetrics(
  mesh: MeshNode,
  tailnetRejections?: Readonly<Record<TailnetRejection, number>>,
): string {
  const m = mesh.metrics;
  const counter = (name: string, help: string, lines: string[]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} counter`,
    ...lines,
  ];
  const states = { alive: 0, suspect: 0, dead: 0, left: 0 };
  for (const x of mesh.members()) states[x.state]++;
  return [
    ...counter('warren_mesh_gossip_bytes_total', 'Mesh payload bytes by path and direction', [
      `warren_mesh_gossip_bytes_total{path="udp",direction="in"} ${m.gossipBytesIn}`,
      `warren_mesh_gossip_bytes_total{path="udp",direction="out"} ${m.gossipBytesOut}`,
      `warren_mesh_gossip_bytes_total{path="sync",direction="in"} ${m.syncBytesIn}`,
      `warren_mesh_gossip_bytes_total{path="sync",direction="out"} ${m.syncBytesOut}`,
    ]),
    ...counter('warren_mesh_packets_total', 'Mesh packets', [
      `warren_mesh_packets_total{direction="in"} ${m.packetsIn}`,
      `warren_mesh_packets_total{direction="out"} ${m.packetsOut}`,
    ]),
    ...counter(
      'warren_mesh_dropped_entries_total',
      'Registry entries dropped, never applied nor re-gossiped, by reason',
      Object.entries(m.droppedEntries).map(
        ([r, n]) => `warren_mesh_dropped_entries_total{reason="${r}"} ${n}`,
      ),
    ),
    ...counter(
      'warren_mesh_dropped_messages_total',
      'Mesh messages dropped whole, by reason',
      Object.entries(m.droppedMessages).map(
        ([r, n]) => `warren_mesh_dropped_messages_total{reason="${r}"} ${n}`,
      ),
    ),
    ...counter('warren_mesh_suspicions_total', 'Members this node suspected', [
      `warren_mesh_suspicions_total ${m.suspicions}`,
    ]),
    ...counter('warren_mesh_deaths_total', 'Members this node declared dead', [
      `warren_mesh_deaths_total ${m.deaths}`,
    ]),
    ...counter('warren_mesh_refutations_total', 'Suspicions of this node it refuted', [
      `warren_mesh_refutations_total ${m.refutations}`,
    ]),
    ...counter(
      'warren_mesh_contact_failures_total',
      'Peers probed at once because this node could not reach them outside the mesh (a failed forward)',
      [`warren_mesh_contact_failures_total ${m.contactFailures}`],
    ),
    ...counter('warren_mesh_syncs_total', 'Push-pull syncs by outcome', [
      `warren_mesh_syncs_total{outcome="ok"} ${m.syncs}`,
      `warren_mesh_syncs_total{outcome="failed"} ${m.syncFailures}`,
    ]),
    ...(tailnetRejections
      ? counter(
          'warren_mesh_tailnet_rejections_total',
          'Mesh messages dropped: the sender is not the tailnet device its certificate names (whois)',
          Object.entries(tailnetRejections).map(
            ([r, n]) => `warren_mesh_tailnet_rejections_total{reason="${r}"} ${n}`,
          ),
        )
      : []),
    '# TYPE warren_mesh_members gauge',
    ...Object.entries(states).map(([s, n]) => `warren_mesh_members{state="${s}"} ${n}`),
  ].join('\n');
}
