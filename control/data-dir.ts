// The control plane's data dir: which of its files are secrets (0600) and which dirs private (0700), fixed at start.
import { databaseFiles, formatMode, type ModeFix, secureDataDir } from '../disk/index.ts';
import { ADMIN_TOKEN_FILE, LOGIN_LINK_FILE } from './bootstrap.ts';
import type { ControlConfig } from './config.ts';
import { databaseFile } from './db/index.ts';
import { LOCAL_NODES_DIR, PULUMI_STATE_DIR } from './fleet/index.ts';
import { MASTER_KEY_FILE } from './identity/index.ts';
import type { Log } from './log.ts';

/** File with `{ url, pid }` written once the control plane listens (for --port 0 and the CLI). */
export const CONTROL_FILE = 'control.json';
/** What `warren up` writes once everything is ready: the URLs and the admin token. */
export const UP_FILE = 'up.json';

/**
 * Sets the data dir and its subdirectories to 0700 and the master key, the database (a file one, wherever it
 * is) with its journal files, the admin token, the login link, `control.json` and `up.json` to 0600. Logs one
 * warning per path it changed, with the old and new mode (never what the file holds), and returns the changes.
 */
export function secureControlDataDir(config: ControlConfig, log: Log): ModeFix[] {
  const db = databaseFile(config.dbUrl);
  const fixes = secureDataDir(config.dataDir, {
    dirs: [LOCAL_NODES_DIR, PULUMI_STATE_DIR],
    files: [
      MASTER_KEY_FILE,
      ADMIN_TOKEN_FILE,
      LOGIN_LINK_FILE,
      CONTROL_FILE,
      UP_FILE,
      ...(db ? databaseFiles(db) : []),
    ],
  });
  for (const f of fixes) {
    log.warn('file mode fixed', { path: f.path, from: formatMode(f.from), to: formatMode(f.to) });
  }
  return fixes;
}
