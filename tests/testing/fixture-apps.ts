// Commands of the fixture apps in tests/fixtures, run with this bun as a workspace's app command.
import { resolve } from 'node:path';

/** Answers every path with an HTML page whose heading names the workspace, and probes its origin's cookies. */
export const ORIGIN_APP = `${process.execPath} ${resolve(import.meta.dir, '..', 'fixtures', 'origin-app.ts')}`;
