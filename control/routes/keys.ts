// Signing key rotation on demand (admin); the schedule runs the same rotation.
import { Elysia } from 'elysia';
import { KeyRotation } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { responses, userSecurity } from './responses.ts';

export function keyRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'keys', prefix: '/api/v1/keys' }).post(
    '/rotate',
    async ({ request }) => {
      await deps.auth.user(request, 'admin');
      const r = await deps.ring.rotate();
      // Gossip the new key now: members must trust it before anything is signed with it.
      await deps.mesh?.sync().catch(() => {});
      deps.log.info('signing key rotated', {
        kid: r.kid,
        activatesAt: new Date(r.activatesAt).toISOString(),
      });
      return {
        kid: r.kid,
        publishedAt: new Date(r.publishedAt).toISOString(),
        activatesAt: new Date(r.activatesAt).toISOString(),
      };
    },
    {
      response: responses(KeyRotation, 401, 403),
      detail: {
        operationId: 'rotateKeys',
        summary: 'Publish a new signing key now; it signs after the publish lead',
        tags: ['identity'],
        security: userSecurity,
      },
    },
  );
}
