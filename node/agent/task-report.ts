// What the node tells the control plane when a task's turn ends: its status, outcome and a transcript summary
// (the body of POST /api/v1/tasks/{id}/report).
import type { TaskReport } from '../../contract/index.ts';
import type { TurnOutcome } from './agent-session.ts';

/** The contract's bound on a summary. */
const SUMMARY_MAX = 4000;

/**
 * `cancelled` for a cancelled turn, `failed` for a refusal or a turn the bridge ended (crash, hang, no
 * agent), else `completed`. The summary is the agent's text; when long, its end, where conclusions are.
 */
export function taskReportOf(outcome: TurnOutcome): TaskReport {
  const text = outcome.text.trim();
  const summary = text.length <= SUMMARY_MAX ? text : `…${text.slice(-(SUMMARY_MAX - 1))}`;
  const end = outcome.end;
  if (end.kind === 'turn_failed')
    return { status: 'failed', outcome: { error: { code: end.code, message: end.message } }, summary };
  const status =
    end.stopReason === 'cancelled' ? 'cancelled' : end.stopReason === 'refusal' ? 'failed' : 'completed';
  return { status, outcome: { stopReason: end.stopReason }, summary };
}
