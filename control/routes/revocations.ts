// Revocations: void every token of a user or a workspace issued before now; listed for nodes.
import { Elysia } from 'elysia';
import { Revocation, RevocationCreate, RevocationList } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { forbidden, notFound } from '../errors.ts';
import { nodeSecurity, responses, userSecurity } from './responses.ts';

/**
 * Voids every token of `subject` issued up to now and publishes that to the mesh; for a user, also their API
 * tokens and sessions, so nothing they hold works a moment later (disabling and deleting people use this too).
 */
export async function revokeSubject(deps: ControlDeps, subject: string) {
  const [kind, id = ''] = subject.split(':') as [string, string];
  const now = deps.clock.now();
  // `iat` has whole seconds: void everything issued up to and including this second (iat < notBefore).
  const notBefore = Math.floor(now / 1000) + 1;
  const revocation = await deps.store.revocations.upsert(subject, notBefore, now);
  if (kind === 'user') {
    await deps.store.apiTokens.revokeAllOfUser(id, now);
    await deps.store.sessions.revokeAllOfUser(id, now);
  }
  // Into the registry now rather than at the next periodic sync: every node enforces it within a gossip round.
  await deps.mesh
    ?.sync()
    .catch((e) =>
      deps.log.error('publishing a revocation to the mesh failed', { message: (e as Error).message }),
    );
  return revocation;
}

export function revocationRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'revocations', prefix: '/api/v1/revocations' })
    .post(
      '',
      async ({ request, body }) => {
        const p = await deps.auth.user(request, 'write');
        const [kind, id = ''] = body.subject.split(':') as [string, string];
        if (p.role !== 'admin') {
          // Members may revoke themselves and their own workspaces; others' workspaces stay invisible (404).
          if (kind === 'user' && id !== p.user.id) throw forbidden('only admins revoke other users');
          if (kind === 'node') throw forbidden('only admins revoke nodes');
          if (kind === 'workspace') await deps.workspaces.get(p, id);
        } else if (kind === 'workspace' && !(await deps.store.workspaces.get(id)))
          throw notFound('workspace');
        const revocation = await revokeSubject(deps, body.subject);
        return revocation;
      },
      {
        body: RevocationCreate,
        response: responses(Revocation, 400, 401, 403, 404),
        detail: {
          operationId: 'createRevocation',
          summary: 'Revoke every token of a user, workspace or node issued before now',
          tags: ['revocations'],
          security: userSecurity,
        },
      },
    )
    .get(
      '',
      async ({ request }) => {
        // Users and nodes (by their certificate) may read the list.
        if (deps.auth.hasJwtBearer(request)) await deps.auth.node(request);
        else await deps.auth.user(request, 'read');
        return { revocations: await deps.store.revocations.list() };
      },
      {
        response: responses(RevocationList, 401, 403),
        detail: {
          operationId: 'listRevocations',
          summary: 'List revocations (users, or nodes with their certificate)',
          tags: ['revocations'],
          security: [...userSecurity, ...nodeSecurity],
        },
      },
    );
}
