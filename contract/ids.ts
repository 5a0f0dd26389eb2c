// Identifier formats. Ids are lowercase letters and digits only, so a workspace id is a valid DNS label
// inside `ws-{workspaceId}.{base domain}`.
import * as v from 'valibot';

/** Prefix of each kind of id; the random part is 20 Crockford base32 characters (100 bits). */
export const ID_PREFIX = {
  workspace: 'ws',
  node: 'nd',
  project: 'pj',
  user: 'us',
  apiToken: 'tk',
  joinToken: 'jt',
  session: 'ss',
  key: 'ky',
  task: 'ta',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RANDOM_LEN = 20;

/** A fresh random id of the given kind. */
export function newId(kind: IdKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_LEN));
  let out: string = ID_PREFIX[kind];
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

function idSchema(kind: IdKind) {
  return v.pipe(
    v.string(),
    v.regex(new RegExp(`^${ID_PREFIX[kind]}[0-9a-hjkmnp-tv-z]{${RANDOM_LEN}}$`), `must be a ${kind} id`),
  );
}

export const WorkspaceId = idSchema('workspace');
export const NodeId = idSchema('node');
export const ProjectId = idSchema('project');
export const UserId = idSchema('user');
export const ApiTokenId = idSchema('apiToken');
export const JoinTokenId = idSchema('joinToken');
export const TaskId = idSchema('task');
