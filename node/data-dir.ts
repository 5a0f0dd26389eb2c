// The node's data dir: which of its files are secrets (0600) and which dirs private (0700), fixed at start.
import { databaseFiles, formatMode, type ModeFix, secureDataDir } from '../disk/index.ts';
import { TASK_JOURNAL_FILE, TRANSCRIPT_DB_FILE } from './agent/index.ts';
import { IDENTITY_FILE } from './identity.ts';
import { MEMBERSHIP_FILE, WORKSPACES_FILE } from './state-store.ts';
import { LOGS_DIR, WORKSPACES_DIR } from './workspaces/index.ts';

/** Where a laptop's run-at-login service appends the node's output. */
export const NODE_LOG_FILE = 'node.log';

/**
 * Sets the data dir, `workspaces/` (not the workspaces inside it: they are theirs) and `logs/` to 0700 and the
 * key pair, the membership with its certificate, the workspace specs, the task journal, the transcript
 * database with its journal files and every log to 0600. Logs one line per path it changed, with the old and
 * new mode (never what the file holds), and returns the changes.
 */
export function secureNodeDataDir(dataDir: string, log: (line: string) => void): ModeFix[] {
  const fixes = secureDataDir(dataDir, {
    dirs: [WORKSPACES_DIR, LOGS_DIR],
    files: [
      IDENTITY_FILE,
      MEMBERSHIP_FILE,
      WORKSPACES_FILE,
      TASK_JOURNAL_FILE,
      ...databaseFiles(TRANSCRIPT_DB_FILE),
      `${LOGS_DIR}/*`,
      NODE_LOG_FILE,
    ],
  });
  for (const f of fixes) log(`file mode fixed: ${f.path} was ${formatMode(f.from)}, now ${formatMode(f.to)}`);
  return fixes;
}
