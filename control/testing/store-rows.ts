// Whole rows for the store's insert calls in tests: every column filled with a plain default, overrides on top.
import { newId } from '../../contract/index.ts';
import type { NodeRow, WorkspaceRow } from '../db/index.ts';

const T = 1_800_000_000_000;

/** An online, undrained node with four slots, no labels, nothing reported yet. */
export function testNodeRow(overrides: Partial<NodeRow> = {}): NodeRow {
  const id = overrides.id ?? newId('node');
  return {
    id,
    name: id,
    status: 'online',
    address: 'http://127.0.0.1:1',
    publicKey: '{}',
    labels: '{}',
    capacityWorkspaces: 4,
    occupiedWorkspaces: 0,
    laptop: false,
    loadCpu: null,
    loadMemory: null,
    version: null,
    isolation: null,
    baseDomain: null,
    drainedAt: null,
    lastHeartbeatAt: T,
    createdAt: T,
    ...overrides,
  };
}

let named = 0;

/** An unplaced (`pending`) workspace of `projectId` owned by `ownerId`, with a name unique in the test run. */
export function testWorkspaceRow(
  projectId: string,
  ownerId: string,
  overrides: Partial<WorkspaceRow> = {},
): WorkspaceRow {
  return {
    id: newId('workspace'),
    name: `w${++named}`,
    projectId,
    ownerId,
    nodeId: null,
    status: 'pending',
    statusBeforeUnreachable: null,
    desiredState: 'running',
    statusReason: null,
    appCommand: null,
    agentCommand: null,
    env: '{}',
    resources: '{}',
    shell: null,
    generation: 0,
    agentState: null,
    taskId: null,
    repository: null,
    port: null,
    createdAt: T,
    updatedAt: T,
    ...overrides,
  };
}
