// The node's only calls to the control plane: join, heartbeat and the key set, on fetch with the contract types.
import * as v from 'valibot';
import {
  type AgentActivityReport,
  ErrorBody,
  type Heartbeat,
  HeartbeatAck,
  Jwks,
  NodeJoined,
  type NodeJoinRequest,
  type TaskInputReport,
  type TaskReport,
} from '../contract/index.ts';
import { certificateHeaders, type NodeProver } from './control-proof.ts';

/** A failed call; `retryable` is false when trying again cannot help (bad join token, revoked node). */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Typed access to the control plane's node endpoints. */
export interface ControlLink {
  /** Joins with a one-use token; `body.isolation`, when the caller sets it, is how the node isolates. */
  join(body: NodeJoinRequest): Promise<NodeJoined>;
  /** Reports workspaces and load; `body.isolation`, when set, replaces what the control plane shows. */
  heartbeat(nodeId: string, certificate: string, body: Heartbeat): Promise<HeartbeatAck>;
  jwks(): Promise<Jwks>;
  /** The end of a task this node ran (its outcome and transcript summary). */
  reportTask(taskId: string, certificate: string, body: TaskReport): Promise<void>;
  /** A task's agent waits on a person past the threshold (`needsInput: true`), or was answered (`false`). */
  reportTaskInput(taskId: string, certificate: string, body: TaskInputReport): Promise<void>;
  /** An agent event for the activity log of a workspace this node hosts. */
  reportActivity(workspaceId: string, certificate: string, body: AgentActivityReport): Promise<void>;
}

export interface ControlLinkOptions {
  /** Signs the proof every call with the certificate carries (node/control-proof.ts). */
  prove: NodeProver;
  /** 10 s: a call gives up after this long (the heartbeat retries with backoff). */
  timeoutMs?: number;
}

/** A call: its method, a JSON body if any, and the certificate when the call is the node's own. */
interface Call {
  method: 'GET' | 'POST';
  body?: unknown;
  certificate?: string;
}

/** Creates the link to the control plane at `baseUrl`. */
export function createControlLink(baseUrl: string, options: ControlLinkOptions): ControlLink {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  async function call<S extends v.GenericSchema>(
    path: string,
    schema: S,
    c: Call,
  ): Promise<v.InferOutput<S>> {
    const url = `${base}${path}`;
    // Serialised once: the proof's body digest is over exactly these bytes.
    const sent = c.body === undefined ? undefined : JSON.stringify(c.body);
    const headers: Record<string, string> = sent === undefined ? {} : { 'content-type': 'application/json' };
    if (c.certificate !== undefined) {
      const call = { method: c.method, url, ...(sent === undefined ? {} : { body: sent }) };
      Object.assign(headers, await certificateHeaders(c.certificate, options.prove, call));
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: c.method,
        headers,
        ...(sent === undefined ? {} : { body: sent }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new ControlError(
        'unreachable',
        `control plane unreachable: ${(e as Error).message}`,
        undefined,
        true,
      );
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ControlError(
        'bad_response',
        `control plane answered ${res.status} without JSON`,
        res.status,
        true,
      );
    }
    if (!res.ok) {
      const err = v.safeParse(ErrorBody, body);
      const code = err.success ? err.output.error.code : 'http_error';
      const msg = err.success ? err.output.error.message : `HTTP ${res.status}`;
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new ControlError(code, `${path}: ${msg}`, res.status, retryable);
    }
    // validate what comes back instead of trusting the types.
    const r = v.safeParse(schema, body);
    if (!r.success) {
      const where = r.issues[0]?.path?.map((p) => String(p.key)).join('.') ?? '';
      throw new ControlError(
        'bad_response',
        `${path}: unexpected response at "${where}": ${r.issues[0]?.message}`,
        res.status,
        true,
      );
    }
    return r.output;
  }
  return {
    join: (body) => call('/api/v1/nodes/join', NodeJoined, { method: 'POST', body }),
    heartbeat: (nodeId, certificate, body) =>
      call(`/api/v1/nodes/${encodeURIComponent(nodeId)}/heartbeat`, HeartbeatAck, {
        method: 'POST',
        body,
        certificate,
      }),
    jwks: () => call('/.well-known/jwks.json', Jwks, { method: 'GET' }),
    reportTask: async (taskId, certificate, body) => {
      await call(`/api/v1/tasks/${encodeURIComponent(taskId)}/report`, v.unknown(), {
        method: 'POST',
        body,
        certificate,
      });
    },
    reportTaskInput: async (taskId, certificate, body) => {
      await call(`/api/v1/tasks/${encodeURIComponent(taskId)}/input`, v.unknown(), {
        method: 'POST',
        body,
        certificate,
      });
    },
    reportActivity: async (workspaceId, certificate, body) => {
      await call(`/api/v1/workspaces/${encodeURIComponent(workspaceId)}/activity`, v.unknown(), {
        method: 'POST',
        body,
        certificate,
      });
    },
  };
}
