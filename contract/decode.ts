// Decoding wire input into a result union instead of throwing.
import * as v from 'valibot';

export type Decoded<T> = { ok: true; value: T } | { ok: false; issues: DecodeIssue[] };
export interface DecodeIssue {
  path: string;
  message: string;
}

/** Validates `input` against `schema`; never throws for bad input. */
export function decode<S extends v.GenericSchema>(schema: S, input: unknown): Decoded<v.InferOutput<S>> {
  const r = v.safeParse(schema, input);
  if (r.success) return { ok: true, value: r.output };
  return {
    ok: false,
    issues: r.issues.map((i) => ({
      path: i.path?.map((p) => String(p.key)).join('.') ?? '',
      message: i.message,
    })),
  };
}
