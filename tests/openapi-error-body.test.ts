// Both OpenAPI documents name the one error shape `ErrorBody` and every error answer refers to it.
import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { toJsonSchema } from '@valibot/to-json-schema';
import { ErrorBody } from '../contract/index.ts';
import type { ErrorBody as ClientErrorBody } from '../openapi/client/index.ts';

type Doc = {
  components?: { schemas?: Record<string, unknown> };
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
};

const read = async (name: string) =>
  (await Bun.file(join(import.meta.dir, '..', 'openapi', `${name}.json`)).json()) as Doc;

describe('The OpenAPI documents', () => {
  for (const name of ['control', 'node']) {
    it(`${name}.json names ErrorBody and refers to it from every error answer with a body`, async () => {
      const doc = await read(name);
      const named = doc.components?.schemas?.ErrorBody as Record<string, unknown> | undefined;
      const { $schema: _, ...expected } = toJsonSchema(ErrorBody, { errorMode: 'ignore' });
      expect(named).toEqual(expected as Record<string, unknown>);
      let refs = 0;
      for (const item of Object.values(doc.paths))
        for (const op of Object.values(item))
          for (const [status, res] of Object.entries(op.responses ?? {})) {
            const schema = res.content?.['application/json']?.schema;
            if (Number(status) < 400 || !schema) continue;
            expect(schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
            refs++;
          }
      expect(refs).toBeGreaterThan(0);
    });
  }

  it('the generated client exports the ErrorBody type', () => {
    const body: ClientErrorBody = { error: { code: 'not_found', message: 'no such route' } };
    expect(body.error.code).toBe('not_found');
  });
});
