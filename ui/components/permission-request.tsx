// One agent permission request: what the agent wants to do and its options as buttons (chat and task page alike).
import type { PermissionOption, PermissionToolCall } from '../../contract/index.ts';

export interface PermissionRequestProps {
  toolCall: PermissionToolCall;
  options: PermissionOption[];
  /** The agent restarted since it asked: answering sends its prompt again. */
  resumed?: boolean;
  /** Set while an answer is on its way (the buttons wait). */
  busy?: boolean;
  onAnswer(optionId: string): void;
}

const ALLOWS = new Set(['allow_once', 'allow_always']);

export function PermissionRequest(p: PermissionRequestProps) {
  const what = p.toolCall.title ?? p.toolCall.kind ?? 'use a tool';
  return (
    <fieldset class="permission">
      <legend class="permission-ask">
        <strong>The agent asks to:</strong> {what}
      </legend>
      {p.resumed ? (
        <p class="muted small">
          Its node restarted since. Your answer sends the prompt again, and the agent gets it when it asks the
          same.
        </p>
      ) : null}
      <div class="toolbar">
        {p.options.map((o) => (
          <button
            key={o.optionId}
            type="button"
            class={`button small ${ALLOWS.has(o.kind) ? 'primary' : ''}`}
            data-option-id={o.optionId}
            disabled={p.busy}
            onClick={() => p.onAnswer(o.optionId)}
          >
            {o.name || o.optionId}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
