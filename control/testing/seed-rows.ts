// Rows that foreign keys need (users, projects, nodes, workspaces), inserted straight into a test database.
import type { Client } from '@libsql/client';

const T = 1_700_000_000_000;

/** Inserts each named row unless it exists: users, projects (of the first user), nodes, workspaces (of both). */
export async function seedRows(
  client: Client,
  rows: { users?: string[]; projects?: string[]; nodes?: string[]; workspaces?: string[] },
): Promise<void> {
  const users = rows.users ?? [];
  const owner = users[0];
  const project = rows.projects?.[0];
  const stmts = [
    ...users.map((id) => ({
      sql: "INSERT OR IGNORE INTO users (id, name, role, created_at) VALUES (?, 'u', 'member', ?)",
      args: [id, T],
    })),
    ...(rows.projects ?? []).map((id) => ({
      sql: "INSERT OR IGNORE INTO projects (id, name, description, owner_id, created_at) VALUES (?, 'p', '', ?, ?)",
      args: [id, owner ?? null, T],
    })),
    ...(rows.nodes ?? []).map((id) => ({
      sql: `INSERT OR IGNORE INTO nodes (id, name, status, address, public_key, labels, capacity_workspaces, laptop, created_at)
            VALUES (?, 'n', 'online', 'http://127.0.0.1:1', '{}', '{}', 100, 0, ?)`,
      args: [id, T],
    })),
    ...(rows.workspaces ?? []).map((id) => ({
      sql: `INSERT OR IGNORE INTO workspaces (id, name, project_id, owner_id, status, desired_state, env, created_at, updated_at)
            VALUES (?, ?, ?, ?, 'running', 'running', '{}', ?, ?)`,
      // Named after its id: names are unique within a project.
      args: [id, id, project ?? null, owner ?? null, T, T],
    })),
  ];
  if (stmts.length > 0) await client.batch(stmts, 'write');
}
