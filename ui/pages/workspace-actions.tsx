// Start, stop, retry and delete for one workspace: confirmation before delete, progress while a request runs, errors in words.
import { useState } from 'preact/hooks';
import { api, must, type Workspace } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNotice } from '../components/notice.tsx';
import { upsertWorkspace } from '../live.ts';
import { describe } from '../problem.ts';

type Busy = 'start' | 'stop' | 'retry' | 'delete' | undefined;

export function WorkspaceActions({
  workspace: w,
  onDeleted,
}: {
  workspace: Workspace;
  onDeleted?: () => void;
}) {
  const [busy, setBusy] = useState<Busy>();
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const params = { params: { path: { id: w.id } } };

  const run = async (what: Exclude<Busy, undefined>) => {
    setBusy(what);
    setError(undefined);
    try {
      const next =
        what === 'start'
          ? await must(api.POST('/api/v1/workspaces/{id}/start', params))
          : what === 'stop'
            ? await must(api.POST('/api/v1/workspaces/{id}/stop', params))
            : what === 'retry'
              ? await must(api.POST('/api/v1/workspaces/{id}/retry', params))
              : await must(api.DELETE('/api/v1/workspaces/{id}', params));
      upsertWorkspace(next);
      if (what === 'delete') onDeleted?.();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(undefined);
    }
  };

  const deleting = w.desiredState === 'deleted';
  const wantsRunning = w.desiredState === 'running';
  return (
    <div class="actions-wrap">
      <div class="actions">
        {w.status === 'error' || w.status === 'degraded' ? (
          <button
            type="button"
            class="button small primary"
            disabled={!!busy || deleting}
            aria-busy={busy === 'retry'}
            onClick={() => run('retry')}
          >
            {busy === 'retry' ? 'Retrying…' : 'Retry'}
            <span class="sr-only"> {w.name}</span>
          </button>
        ) : null}
        {wantsRunning ? (
          <button
            type="button"
            class="button small"
            disabled={!!busy || deleting}
            aria-busy={busy === 'stop'}
            onClick={() => run('stop')}
          >
            {busy === 'stop' ? 'Stopping…' : 'Stop'}
            <span class="sr-only"> {w.name}</span>
          </button>
        ) : (
          <button
            type="button"
            class="button small"
            disabled={!!busy || deleting}
            aria-busy={busy === 'start'}
            onClick={() => run('start')}
          >
            {busy === 'start' ? 'Starting…' : 'Start'}
            <span class="sr-only"> {w.name}</span>
          </button>
        )}
        <button
          type="button"
          class="button small danger-outline"
          disabled={!!busy || deleting}
          aria-busy={busy === 'delete'}
          onClick={() => setConfirming(true)}
        >
          {busy === 'delete' || deleting ? 'Deleting…' : 'Delete'}
          <span class="sr-only"> {w.name}</span>
        </button>
      </div>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {confirming ? (
        <ConfirmDialog
          title={`Delete “${w.name}”?`}
          confirmLabel="Delete workspace"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run('delete');
          }}
        >
          <p>
            Its processes stop and its files are removed from the node that hosts it. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
