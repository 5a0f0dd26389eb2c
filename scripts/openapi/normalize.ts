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

/**
 * Replaces every inline copy of a named schema with a `$ref` to `components.schemas.<name>` and adds the schema
 * there, so the generated client exports it by name (the servers' generators inline every schema).
 */
function nameSchemas(doc: Record<string, unknown>, named: Record<string, unknown>): Record<string, unknown> {
  const byText = new Map(Object.entries(named).map(([name, s]) => [JSON.stringify(canonical(s)), name]));
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (!value || typeof value !== 'object') return value;
    const name = byText.get(JSON.stringify(value));
    if (name) return { $ref: `#/components/schemas/${name}` };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
  };
  const out = replace(doc) as Record<string, unknown>;
  const components = (out.components ?? {}) as Record<string, unknown>;
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  for (const [name, s] of Object.entries(named)) schemas[name] = canonical(s);
  components.schemas = schemas;
  out.components = components;
  return out;
}

/** The canonical document; `named` schemas (e.g. `ErrorBody`) become components referenced where they occur. */
export function normalizeDocument(
  doc: Record<string, unknown>,
  named: Record<string, unknown> = {},
): Record<string, unknown> {
  const copy = structuredClone(doc);
  jsonBodiesOnly(copy);
  return canonical(nameSchemas(canonical(copy) as Record<string, unknown>, named)) as Record<string, unknown>;
}
