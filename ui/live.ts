// The live picture of workspaces and nodes, fed by the control plane's event stream (no polling).
import { useEffect, useState } from 'preact/hooks';
import type { LiveEvent } from '../contract/index.ts';
import type { Node, Task, Workspace } from './api.ts';

/** Where the stream is: waiting for its first snapshot, following changes, or reconnecting. */
export type LiveConnection = 'connecting' | 'live' | 'reconnecting';

export interface LiveState {
  connection: LiveConnection;
  /** False until the first snapshot arrived (lists show a loading state, not an empty one). */
  loaded: boolean;
  workspaces: Map<string, Workspace>;
  nodes: Map<string, Node>;
  /** The caller's newest tasks. */
  tasks: Map<string, Task>;
  /** Per workspace, how often its activity log grew since the page opened (a signal to fetch more). */
  activity: Map<string, number>;
}

const EVENTS_PATH = '/api/v1/events';

const empty = (): LiveState => ({
  connection: 'connecting',
  loaded: false,
  workspaces: new Map(),
  nodes: new Map(),
  tasks: new Map(),
  activity: new Map(),
});

let state: LiveState = empty();
let source: EventSource | undefined;
/**
 * Workspaces the stream said are gone. An API answer sent before the removal can arrive after it (a delete's own
 * answer, when the node finished first); ids are never reused, so such an answer must not bring the row back.
 */
const removed = new Set<string>();
const listeners = new Set<() => void>();

function publish(next: Partial<LiveState>) {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

/** Applies one frame of the stream to the picture (exported for tests). */
export function applyLiveEvent(event: LiveEvent) {
  switch (event.type) {
    case 'snapshot':
      publish({
        loaded: true,
        connection: 'live',
        workspaces: new Map(event.workspaces.map((w) => [w.id, w])),
        nodes: new Map(event.nodes.map((n) => [n.id, n])),
        tasks: new Map(event.tasks.map((t) => [t.id, t])),
      });
      return;
    case 'workspace':
      upsertWorkspace(event.workspace);
      return;
    case 'workspace_removed': {
      removed.add(event.id);
      const workspaces = new Map(state.workspaces);
      workspaces.delete(event.id);
      publish({ workspaces });
      return;
    }
    case 'node': {
      const nodes = new Map(state.nodes);
      nodes.set(event.node.id, event.node);
      publish({ nodes });
      return;
    }
    case 'node_removed': {
      const nodes = new Map(state.nodes);
      nodes.delete(event.id);
      publish({ nodes });
      return;
    }
    case 'task':
      upsertTask(event.task);
      return;
    case 'activity': {
      const activity = new Map(state.activity);
      activity.set(event.workspaceId, (activity.get(event.workspaceId) ?? 0) + 1);
      publish({ activity });
      return;
    }
    case 'task_removed': {
      const tasks = new Map(state.tasks);
      tasks.delete(event.id);
      publish({ tasks });
      return;
    }
  }
}

/** True when `next` is not older than what the picture holds (ISO times compare as strings). */
const notOlder = (held: { updatedAt: string } | undefined, next: { updatedAt: string }) =>
  !held || held.updatedAt <= next.updatedAt;

/**
 * Puts a workspace the API just returned into the picture. An answer can arrive after the stream already
 * showed a newer state (the node reported while the answer travelled); the older one never wins.
 */
export function upsertWorkspace(w: Workspace): void {
  if (removed.has(w.id) || !notOlder(state.workspaces.get(w.id), w)) return;
  const workspaces = new Map(state.workspaces);
  workspaces.set(w.id, w);
  publish({ workspaces });
}

/** Puts a task the API just returned into the picture, unless the picture already holds a newer state. */
export function upsertTask(t: Task): void {
  if (!notOlder(state.tasks.get(t.id), t)) return;
  const tasks = new Map(state.tasks);
  tasks.set(t.id, t);
  publish({ tasks });
}

/**
 * Opens the stream once signed in. `onSignedOut` runs when the stream ends for good, which the browser
 * reports only as a closed EventSource; the caller checks the session to tell why.
 */
export function connectLive(onClosed: () => void): void {
  if (source) return;
  publish({ connection: 'connecting' });
  const es = new EventSource(EVENTS_PATH, { withCredentials: true });
  source = es;
  es.onmessage = (m) => {
    try {
      applyLiveEvent(JSON.parse(m.data) as LiveEvent);
    } catch {
      // A frame we cannot read is skipped; the next snapshot (after a reconnect) repairs the picture.
    }
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      source = undefined;
      publish({ connection: 'reconnecting' });
      onClosed();
    } else {
      publish({ connection: 'reconnecting' });
    }
  };
}

/** Closes the stream and forgets what it showed (sign out). */
export function disconnectLive(): void {
  source?.close();
  source = undefined;
  removed.clear();
  state = empty();
  for (const l of listeners) l();
}

/** The live state as it is now, outside a component (tests). */
export function currentLive(): LiveState {
  return state;
}

/** The live state; re-renders on every change. */
export function useLive(): LiveState {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return state;
}
