// Who may see a project: its owner and admins; anyone else gets a 404 (existence is not revealed).
import type { UserPrincipal } from '../auth/index.ts';
import type { ProjectRow } from '../db/index.ts';
import type { ControlDeps } from '../deps.ts';
import { notFound } from '../errors.ts';

/** The project `id` if `p` owns it or is an admin; else throws 404. */
export async function visibleProject(deps: ControlDeps, p: UserPrincipal, id: string): Promise<ProjectRow> {
  const row = await deps.store.projects.get(id);
  if (!row || (p.role !== 'admin' && row.ownerId !== p.user.id)) throw notFound('project');
  return row;
}
