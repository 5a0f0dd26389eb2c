// workspaceSpec(): a WorkspaceAssignment for tests, running the echo app unless told otherwise.
import { newId, type WorkspaceAssignment } from '../../contract/index.ts';
import { ECHO_APP } from './fixture.ts';

/** A fresh running assignment with new ids; `o` overrides any field. */
export function workspaceSpec(o: Partial<WorkspaceAssignment> = {}): WorkspaceAssignment {
  return {
    id: newId('workspace'),
    name: 'w',
    projectId: newId('project'),
    ownerId: newId('user'),
    desiredState: 'running',
    appCommand: `exec ${process.execPath} ${ECHO_APP}`,
    env: {},
    ...o,
  };
}
