// GET /health, GET /.well-known/jwks.json and GET /metrics.
import { Elysia } from 'elysia';
import * as v from 'valibot';
import { Health, Jwks } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { responses } from './responses.ts';

/** The version every process reports in /health. */
export const CONTROL_VERSION = '0.1.0';

export function healthRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'health' })
    .get('/health', () => ({ status: 'ok' as const, version: CONTROL_VERSION, role: 'control' }), {
      response: responses(Health),
      detail: { operationId: 'getHealth', summary: 'Liveness of the control plane', tags: ['health'] },
    })
    .get('/.well-known/jwks.json', () => deps.ring.jwks(), {
      response: responses(Jwks),
      detail: {
        operationId: 'getJwks',
        summary: 'Public keys that verify every token the control plane signs',
        tags: ['identity'],
      },
    })
    .get(
      '/metrics',
      async () =>
        new Response(await deps.metrics.render(deps.store), {
          headers: { 'content-type': 'text/plain; version=0.0.4' },
        }),
      {
        response: responses(v.string()),
        detail: { operationId: 'getMetrics', summary: 'Prometheus metrics', tags: ['health'] },
      },
    );
}
