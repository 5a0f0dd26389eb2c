// `warren node create` / `warren node delete`: node machines made by the control plane's provider, with progress.
import { parseArgs } from 'node:util';
import type { NodeProvisioning } from '../contract/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { CONNECTION_OPTIONS, connect, reportError } from './connection.ts';

export const NODE_MACHINES_USAGE = `usage: warren node create [--project ID] [--url URL] [--token T] [--data DIR]
       warren node delete NODE_ID [--url URL] [--token T] [--data DIR]

Creates (or deletes) a node machine with the control plane's provider (WARREN_PROVIDER) and prints each
progress step until it ends; exits 1 if it failed.`;

/** How often progress is polled: steps take seconds (local) to minutes (cloud). */
const POLL_MS = 500;

/** Prints the events not printed yet and polls until the record leaves `pending`. */
async function follow(client: ControlClient, first: NodeProvisioning, pending: string): Promise<number> {
  let record = first;
  let printed = 0;
  for (;;) {
    for (const e of record.events.slice(printed)) {
      const at = new Date(e.at).toISOString().slice(11, 19);
      process.stdout.write(`${at} ${e.step} ${e.state}${e.detail ? `: ${e.detail}` : ''}\n`);
    }
    printed = record.events.length;
    if (record.state !== pending) break;
    await Bun.sleep(POLL_MS);
    const r = await client.GET('/api/v1/nodes/{id}/provisioning', {
      params: { path: { id: record.nodeId } },
    });
    if (!r.data) return reportError('node', r.error, r.response.status);
    record = r.data;
  }
  process.stdout.write(`node ${record.nodeId} ${record.state}${record.error ? `: ${record.error}` : ''}\n`);
  return record.state === 'failed' ? 1 : 0;
}

/** `warren node create|delete …`; resolves with the exit code. */
export async function nodeMachines(verb: 'create' | 'delete', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, project: { type: 'string' } },
    allowPositionals: true,
  });
  const client = connect(values);
  try {
    if (verb === 'create') {
      const r = await client.POST('/api/v1/nodes', {
        body: values.project ? { projectId: values.project } : {},
      });
      if (!r.data) return reportError('node create', r.error, r.response.status);
      process.stdout.write(`node ${r.data.nodeId}: provisioning with ${r.data.provider}\n`);
      return follow(client, r.data, 'provisioning');
    }
    const id = positionals[0];
    if (!id) {
      process.stderr.write('warren node delete: name the node: warren node delete NODE_ID\n');
      return 2;
    }
    const r = await client.DELETE('/api/v1/nodes/{id}', { params: { path: { id } } });
    if (!r.data) return reportError('node delete', r.error, r.response.status);
    return follow(client, r.data, 'deleting');
  } catch (e) {
    return reportError(`node ${verb}`, (e as Error).message);
  }
}
