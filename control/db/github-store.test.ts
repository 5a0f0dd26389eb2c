// The GitHub tables and the user status, run against an embedded libSQL file and a real sqld process.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { newId, USER_STATUSES } from '../../contract/index.ts';
import { DATABASE_BACKENDS, firstMigrations } from '../testing/index.ts';
import { type Database, openDatabase } from './database.ts';
import * as schema from './schema.ts';
import { createStore, type Store } from './store.ts';

const T = 1_800_000_000_000;

for (const backend of DATABASE_BACKENDS) {
  describe(`GitHub store on ${backend.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let database: Database;
    let store: Store;
    let userId: string;
    let projectId: string;

    beforeAll(async () => {
      server = await backend.start();
      // Bring the database to the first release's schema, with data in it, then open it as today's code does.
      const old = firstMigrations(1);
      const client = createClient({ url: server.url });
      await client.execute('PRAGMA foreign_keys = ON');
      await migrate(drizzle(client, { schema }), { migrationsFolder: old.dir });
      old.remove();
      userId = newId('user');
      projectId = newId('project');
      await client.batch([
        {
          sql: 'INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, ?, ?)',
          args: [userId, 'old', 'old@example.com', 'member', T],
        },
        {
          sql: 'INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
          args: ['s1', 'hash-1', userId, T, T + 1000],
        },
        {
          sql: 'INSERT INTO projects (id, name, description, owner_id, created_at) VALUES (?, ?, ?, ?, ?)',
          args: [projectId, 'p', '', userId, T],
        },
      ]);
      client.close();
      database = await openDatabase(server.url);
      store = createStore(database.db);
    }, 30_000);
    afterAll(async () => {
      database.close();
      await server.stop();
    });

    it('upgrades an older database without losing users, their sessions or projects', async () => {
      expect(await store.users.get(userId)).toMatchObject({
        name: 'old',
        email: 'old@example.com',
        status: 'active',
        githubId: null,
        githubLogin: null,
      });
      expect(await store.sessions.findByHash('hash-1')).toMatchObject({ id: 's1', userId });
      expect(await store.projects.get(projectId)).toMatchObject({ ownerId: userId });
    });

    it('round-trips every user status and refuses others in the database itself', async () => {
      for (const status of USER_STATUSES) {
        const u = await store.users.insert({
          id: newId('user'),
          name: status,
          email: null,
          role: 'member',
          status,
          createdAt: T,
        });
        expect((await store.users.get(u.id))?.status).toBe(status);
      }
      await expect(
        database.client.execute({ sql: 'UPDATE users SET status = ? WHERE id = ?', args: ['bogus', userId] }),
      ).rejects.toThrow(/CHECK/i);
      expect((await store.users.setStatus(userId, 'pending'))?.status).toBe('pending');
      expect((await store.users.setStatus(userId, 'active'))?.status).toBe('active');
      expect(await store.users.setStatus('usr_missing', 'active')).toBeUndefined();
    });

    it('matches users by GitHub id and links one GitHub account to one user only', async () => {
      const a = await store.users.insert({
        id: newId('user'),
        name: 'a',
        email: null,
        role: 'member',
        createdAt: T,
      });
      const b = await store.users.insert({
        id: newId('user'),
        name: 'b',
        email: null,
        role: 'member',
        createdAt: T,
      });
      expect(await store.users.linkGithub(a.id, 4242, 'alice')).toBe(true);
      expect(await store.users.linkGithub(a.id, 4242, 'alice-renamed')).toBe(true);
      expect(await store.users.getByGithubId(4242)).toMatchObject({ id: a.id, githubLogin: 'alice-renamed' });
      // a is linked to 4242: it cannot be re-linked to another account.
      expect(await store.users.linkGithub(a.id, 4343, 'other')).toBe(false);
      // 4242 belongs to a: the unique index refuses it for b.
      await expect(store.users.linkGithub(b.id, 4242, 'alice')).rejects.toThrow();
      expect(await store.users.getByGithubId(4343)).toBeUndefined();
    });

    it('hands out a sign-in state once, and prunes expired ones', async () => {
      const s = store.github.signInStates;
      await s.put({
        id: 'st-1',
        secretHash: 'h1',
        redirectUrl: 'http://x/cb',
        returnTo: '/',
        expiresAt: T + 10,
      });
      await s.put({
        id: 'st-2',
        secretHash: 'h2',
        redirectUrl: 'http://x/cb',
        returnTo: '/p',
        expiresAt: T - 10,
      });
      const taken = await Promise.all([s.take('st-1'), s.take('st-1')]);
      expect(taken.filter(Boolean)).toEqual([
        { id: 'st-1', secretHash: 'h1', redirectUrl: 'http://x/cb', returnTo: '/', expiresAt: T + 10 },
      ]);
      await s.prune(T);
      expect(await s.take('st-2')).toBeUndefined();
    });

    it('records, updates and removes installations', async () => {
      const i = store.github.installations;
      await i.upsert({
        id: 77,
        accountId: 500,
        accountLogin: 'acme',
        accountType: 'Organization',
        suspended: false,
      });
      await i.upsert({
        id: 77,
        accountId: 500,
        accountLogin: 'acme-co',
        accountType: 'Organization',
        suspended: true,
      });
      expect(await i.get(77)).toEqual({
        id: 77,
        accountId: 500,
        accountLogin: 'acme-co',
        accountType: 'Organization',
        suspended: true,
      });
      await i.remove(77);
      expect(await i.get(77)).toBeUndefined();
    });

    it("keeps a project's explicit repository set: bind replaces, add is idempotent, remove drops one", async () => {
      const r = store.github.projectRepos;
      expect(await r.get(projectId)).toBeUndefined();
      await r.bind(projectId, 77, { repoId: 9, fullName: 'acme/old' });
      await r.bind(projectId, 78, { repoId: 1001, fullName: 'acme/app' });
      await r.addRepo(projectId, { repoId: 1002, fullName: 'acme/lib' });
      await r.addRepo(projectId, { repoId: 1002, fullName: 'acme/lib' });
      await r.addRepo(projectId, { repoId: 1001, fullName: 'acme/app' });
      expect(await r.get(projectId)).toEqual({
        projectId,
        installationId: 78,
        repos: [
          { repoId: 1001, fullName: 'acme/app', role: 'primary' },
          { repoId: 1002, fullName: 'acme/lib', role: 'additional' },
        ],
      });
      await r.removeRepo(projectId, 1002);
      expect((await r.get(projectId))?.repos.map((x) => x.repoId)).toEqual([1001]);
      await expect(
        database.client.execute({
          sql: 'INSERT INTO project_repos (project_id, repo_id, full_name, role) VALUES (?, ?, ?, ?)',
          args: [projectId, 5, 'acme/x', 'bogus'],
        }),
      ).rejects.toThrow(/CHECK/i);
    });

    it('deleting a project deletes its repository binding', async () => {
      const p = newId('project');
      await store.projects.insert({ id: p, name: 'gone', description: '', ownerId: userId, createdAt: T });
      await store.github.projectRepos.bind(p, 77, { repoId: 1001, fullName: 'acme/app' });
      await store.projects.remove(p);
      expect(await store.github.projectRepos.get(p)).toBeUndefined();
      const left = await database.client.execute({
        sql: 'SELECT count(*) AS n FROM project_repos WHERE project_id = ?',
        args: [p],
      });
      expect(Number(left.rows[0]?.n)).toBe(0);
    });

    it("stores a user's sealed GitHub token, replacing the previous one", async () => {
      await store.github.userTokens.put(userId, 'sealed-1', T);
      await store.github.userTokens.put(userId, 'sealed-2', T + 1);
      expect(await store.github.userTokens.get(userId)).toBe('sealed-2');
      expect(await store.github.userTokens.get('usr_nobody')).toBeUndefined();
    });
  });
}
