// Another process holding the database's write lock: `bun hold-write-lock.ts URL WORKSPACE_ID HOLD_MS` opens a
// write transaction, inserts one activity event, prints `held`, keeps the lock for HOLD_MS, then commits.
import { createClient } from '@libsql/client';

const [url, workspaceId, holdMs] = process.argv.slice(2);
if (!url || !workspaceId || !holdMs) throw new Error('usage: hold-write-lock.ts URL WORKSPACE_ID HOLD_MS');
const client = createClient({ url });
const tx = await client.transaction('write');
await tx.execute({
  sql: `INSERT INTO activity_events (workspace_id, at, kind, type, message) VALUES (?, 0, 'agent', 'agent.held', 'held')`,
  args: [workspaceId],
});
console.log('held');
await Bun.sleep(Number(holdMs));
await tx.commit();
client.close();
