// The node's record of the tasks it owes the control plane a report for (running, or ended but not yet reported),
// in `<dataDir>/agent-tasks.json`, so a node that restarts still ends each of them exactly once.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { TaskReport } from '../../contract/index.ts';

export const TASK_JOURNAL_FILE = 'agent-tasks.json';

const Entry = v.object({ taskId: v.string(), workspaceId: v.string(), report: v.optional(TaskReport) });
/** A task this node owes a report: `report` is set once its turns ended. */
export type TaskJournalEntry = v.InferOutput<typeof Entry>;

export interface TaskJournal {
  load(): TaskJournalEntry[];
  save(entries: TaskJournalEntry[]): void;
}

/** The journal in `dataDir`; an unreadable file counts as empty (a task is then left to its owner to cancel). */
export function fileTaskJournal(dataDir: string): TaskJournal {
  const path = join(dataDir, TASK_JOURNAL_FILE);
  return {
    load() {
      if (!existsSync(path)) return [];
      try {
        const r = v.safeParse(v.array(Entry), JSON.parse(readFileSync(path, 'utf8')));
        return r.success ? r.output : [];
      } catch {
        return [];
      }
    },
    save(entries) {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}

/** A journal in memory (tests, and nodes without a data dir). */
export function memoryTaskJournal(
  initial: TaskJournalEntry[] = [],
): TaskJournal & { entries: TaskJournalEntry[] } {
  const j = {
    entries: [...initial],
    load: () => [...j.entries],
    save(entries: TaskJournalEntry[]) {
      j.entries = [...entries];
    },
  };
  return j;
}
