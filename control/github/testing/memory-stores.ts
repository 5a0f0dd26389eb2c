// In-memory StateStore, InstallationStore and ProjectRepoStore for tests (the control plane uses its database).
import type {
  Installation,
  InstallationStore,
  PendingSignIn,
  ProjectRepo,
  ProjectRepoBinding,
  ProjectRepoStore,
  StateStore,
} from '../store.ts';

/** StateStore in a Map. */
export class MemoryStateStore implements StateStore {
  readonly states = new Map<string, PendingSignIn>();
  async put(state: PendingSignIn): Promise<void> {
    this.states.set(state.id, { ...state });
  }
  async take(id: string): Promise<PendingSignIn | undefined> {
    const s = this.states.get(id);
    this.states.delete(id);
    return s;
  }
  async prune(now: number): Promise<void> {
    for (const [id, s] of this.states) if (s.expiresAt < now) this.states.delete(id);
  }
}

/** InstallationStore in a Map. */
export class MemoryInstallationStore implements InstallationStore {
  readonly installations = new Map<number, Installation>();
  async upsert(installation: Installation): Promise<void> {
    this.installations.set(installation.id, { ...installation });
  }
  async remove(id: number): Promise<void> {
    this.installations.delete(id);
  }
  async get(id: number): Promise<Installation | undefined> {
    const i = this.installations.get(id);
    return i && { ...i };
  }
}

/** ProjectRepoStore in a Map. */
export class MemoryProjectRepoStore implements ProjectRepoStore {
  readonly bindings = new Map<string, ProjectRepoBinding>();
  async get(projectId: string): Promise<ProjectRepoBinding | undefined> {
    const b = this.bindings.get(projectId);
    return b && { ...b, repos: b.repos.map((r) => ({ ...r })) };
  }
  async bind(projectId: string, installationId: number, primary: ProjectRepo): Promise<void> {
    this.bindings.set(projectId, { projectId, installationId, repos: [{ ...primary, role: 'primary' }] });
  }
  async addRepo(projectId: string, repo: ProjectRepo): Promise<void> {
    const b = this.bindings.get(projectId);
    if (!b) throw new Error(`project ${projectId} has no GitHub binding`);
    if (!b.repos.some((r) => r.repoId === repo.repoId)) b.repos.push({ ...repo, role: 'additional' });
  }
  async removeRepo(projectId: string, repoId: number): Promise<void> {
    const b = this.bindings.get(projectId);
    if (b) b.repos = b.repos.filter((r) => r.repoId !== repoId || r.role === 'primary');
  }
}
