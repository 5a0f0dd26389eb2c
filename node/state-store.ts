// Persists the node's membership (id, certificate, keys, revocations) and workspace specs in the data dir.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { Jwks, NodeId, Revocation, WorkspaceAssignment } from '../contract/index.ts';

/** What the node remembers about its membership across restarts. */
export const Membership = v.object({
  controlUrl: v.string(),
  nodeId: NodeId,
  issuer: v.string(),
  certificate: v.string(),
  certificateExpiresAt: v.string(),
  heartbeatIntervalMs: v.number(),
  jwks: Jwks,
  revocations: v.array(Revocation),
  /** Mesh seeds from the last join or heartbeat answer, so a restart rejoins while the control plane is down. */
  meshSeeds: v.optional(v.array(v.string())),
});
export type Membership = v.InferOutput<typeof Membership>;

/** A workspace spec as last assigned, plus the app's process group so a restarted node can end leftovers. */
export const StoredWorkspace = v.object({
  spec: WorkspaceAssignment,
  port: v.optional(v.number()),
  pgid: v.optional(v.number()),
});
export type StoredWorkspace = v.InferOutput<typeof StoredWorkspace>;

/** The state files in the data dir (mode 0600): membership with the certificate, and workspace specs. */
export const MEMBERSHIP_FILE = 'node.json';
export const WORKSPACES_FILE = 'workspaces.json';

/** Reads and writes the node's state files atomically (write then rename), mode 0600. */
export class StateStore {
  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }

  loadMembership(): Membership | undefined {
    return this.read(MEMBERSHIP_FILE, Membership);
  }

  saveMembership(m: Membership): void {
    this.write(MEMBERSHIP_FILE, m);
  }

  loadWorkspaces(): StoredWorkspace[] {
    return this.read(WORKSPACES_FILE, v.array(StoredWorkspace)) ?? [];
  }

  saveWorkspaces(list: StoredWorkspace[]): void {
    this.write(WORKSPACES_FILE, list);
  }

  private read<S extends v.GenericSchema>(file: string, schema: S): v.InferOutput<S> | undefined {
    const path = join(this.dataDir, file);
    if (!existsSync(path)) return undefined;
    const r = v.safeParse(schema, JSON.parse(readFileSync(path, 'utf8')));
    if (!r.success) throw new Error(`${path} is malformed: ${r.issues[0]?.message}`);
    return r.output;
  }

  private write(file: string, value: unknown): void {
    const path = join(this.dataDir, file);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 1), { mode: 0o600 });
    renameSync(tmp, path);
  }
}
