// Waiting for the control plane to report a workspace in a state, as any API client would see it.
import type { WorkspaceStatus } from '../../contract/index.ts';
import { eventually } from '../../mesh/testing/index.ts';
import type { ControlClient } from '../../openapi/client/index.ts';

/** Resolves once `GET /api/v1/workspaces/{id}` through `client` answers `status`; throws after `timeoutMs`. */
export async function untilWorkspaceStatus(
  client: ControlClient,
  id: string,
  status: WorkspaceStatus,
  what = `workspace ${id} ${status}`,
  timeoutMs?: number,
): Promise<void> {
  await eventually(
    async () =>
      (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data?.status === status,
    what,
    timeoutMs,
  );
}
