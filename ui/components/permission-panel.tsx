// The task page's permission requests: what the task's agent waits for, answered through the API (the control
// plane forwards the answer to the hosting node). Polled while the task runs; gone once answered.
import { useEffect, useState } from 'preact/hooks';
import type { AgentPermissionRequest } from '../../contract/index.ts';
import { api, must, type TaskStatus } from '../api.ts';
import { describe } from '../problem.ts';
import { ErrorNotice } from './notice.tsx';
import { PermissionRequest } from './permission-request.tsx';

/** How often a running task's requests are asked for (the task's status change to needs_input comes live). */
const POLL_MS = 1000;
const ACTIVE = new Set<TaskStatus>(['running', 'needs_input']);

export function PermissionPanel({ taskId, status }: { taskId: string; status: TaskStatus }) {
  const [items, setItems] = useState<AgentPermissionRequest[]>([]);
  const [answering, setAnswering] = useState<string>();
  const [error, setError] = useState<string>();
  const active = ACTIVE.has(status);

  useEffect(() => {
    if (!active) {
      setItems([]);
      return;
    }
    let stopped = false;
    const load = () =>
      must(api.GET('/api/v1/tasks/{id}/permissions', { params: { path: { id: taskId } } })).then(
        (r) => {
          if (!stopped) setItems(r.items);
        },
        () => {},
      );
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [taskId, active, status]);

  const answer = async (requestId: string, optionId: string) => {
    setAnswering(requestId);
    setError(undefined);
    try {
      await must(
        api.POST('/api/v1/tasks/{id}/permissions/{requestId}', {
          params: { path: { id: taskId, requestId } },
          body: { optionId },
        }),
      );
      setItems((xs) => xs.filter((x) => x.id !== requestId));
    } catch (e) {
      setError(describe(e));
    } finally {
      setAnswering(undefined);
    }
  };

  if (items.length === 0 && !error) return null;
  return (
    <section class="card attention" aria-labelledby="permissions-title">
      <h2 id="permissions-title">Waiting for your answer</h2>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {items.map((r) => (
        <PermissionRequest
          key={r.id}
          toolCall={r.toolCall}
          options={r.options}
          resumed={r.resumed}
          busy={answering === r.id}
          onAnswer={(optionId) => void answer(r.id, optionId)}
        />
      ))}
    </section>
  );
}
