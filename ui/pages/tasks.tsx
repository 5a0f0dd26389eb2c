// Tasks: a labelled placeholder until the agent issue brings the tasks API.
import { Placeholder } from '../components/notice.tsx';

export function TasksPage() {
  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Tasks</h1>
      </div>
      <Placeholder title="Tasks">
        <p>
          Submitting a task to an agent, following its state (queued, placing, running, completed, failed,
          cancelled) and opening one will appear here once the control plane has a tasks API. Until then, open
          a workspace and use its terminal.
        </p>
      </Placeholder>
    </div>
  );
}
