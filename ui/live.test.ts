// The live picture: an API answer that arrives after the stream removed its workspace does not bring it back.
import { describe, expect, it } from 'bun:test';
import type { Workspace } from './api.ts';
import { applyLiveEvent, currentLive, disconnectLive, upsertWorkspace } from './live.ts';

const workspace = (id: string, status: Workspace['status'], updatedAt: string): Workspace => ({
  id,
  name: 'hello',
  projectId: 'pr0000000000000000000a',
  ownerId: 'us0000000000000000000a',
  nodeId: null,
  status,
  desiredState: status === 'deleting' ? 'deleted' : 'running',
  statusReason: null,
  appCommand: null,
  agentCommand: null,
  resources: {},
  shell: null,
  envNames: [],
  agentState: null,
  taskId: null,
  url: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt,
});

describe('Live picture', () => {
  it('keeps a workspace the stream removed gone, even when a delete’s own answer arrives after the removal', () => {
    disconnectLive();
    applyLiveEvent({
      type: 'snapshot',
      workspaces: [workspace('ws0000000000000000000a', 'stopped', '2026-01-01T00:00:01.000Z')],
      nodes: [],
      tasks: [],
    } as never);
    expect(currentLive().workspaces.has('ws0000000000000000000a')).toBe(true);
    // The node finished the delete and the stream said so before the DELETE request's answer came back.
    applyLiveEvent({ type: 'workspace_removed', id: 'ws0000000000000000000a' });
    upsertWorkspace(workspace('ws0000000000000000000a', 'deleting', '2026-01-01T00:00:02.000Z'));
    expect(currentLive().workspaces.has('ws0000000000000000000a')).toBe(false);
    // Others are still taken in.
    upsertWorkspace(workspace('ws0000000000000000000b', 'running', '2026-01-01T00:00:02.000Z'));
    expect(currentLive().workspaces.has('ws0000000000000000000b')).toBe(true);
  });
});
