// Which transcript events become entries of the workspace's activity log (kind `agent`), and how they read.
import type { AgentEvent } from '../../contract/index.ts';

/** An activity entry for the control plane's log; streaming updates and turn starts make none. */
export interface AgentActivity {
  type: string;
  message: string;
}

const PROMPT_PREVIEW = 200;

export function agentActivityOf(event: AgentEvent): AgentActivity | undefined {
  const d = event.data;
  switch (d.kind) {
    case 'prompt':
      return {
        type: 'agent.prompt',
        message: d.text.length > PROMPT_PREVIEW ? `${d.text.slice(0, PROMPT_PREVIEW)}…` : d.text,
      };
    case 'turn_ended':
      return {
        type: 'agent.turn_ended',
        message: `turn ended: ${d.stopReason}${d.forced ? ' (forced)' : ''}`,
      };
    case 'turn_failed':
      return { type: `agent.${d.code}`, message: d.message };
    case 'agent_state':
      return d.state === 'starting'
        ? undefined
        : {
            type: `agent.${d.state}`,
            message: d.detail ? `agent ${d.state}: ${d.detail}` : `agent ${d.state}`,
          };
    default:
      return undefined;
  }
}
