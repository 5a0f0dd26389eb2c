// Makes an OpenAPI document deterministic: sorted keys, JSON-only bodies, no `$schema` noise.

/** Recursively sorts object keys (arrays keep their order) and drops `$schema` keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (k === '$schema') continue;
      out[k] = canonical((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}

/** Keeps only `application/json` request bodies: the API accepts nothing else. */
function jsonBodiesOnly(doc: Record<string, unknown>) {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, { requestBody?: { content?: object } }>>;
  for (const item of Object.values(paths))
    for (const op of Object.values(item)) {
      const content = op?.requestBody?.content as Record<string, unknown> | undefined;
      if (!content) continue;
      for (const type of Object.keys(content)) if (type !== 'application/json') delete content[type];
    }
}

export function normalizeDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc);
  jsonBodiesOnly(copy);
  return canonical(copy) as Record<string, unknown>;
}
