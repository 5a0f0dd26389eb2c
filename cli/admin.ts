// `warren admin …`: people — list, invite, re-issue sign-in links, disable, enable and delete (admin).
import { CliError } from './connection.ts';

export const usage = 'usage: warren admin (not yet)';

export default async function admin(_args: string[]): Promise<number> {
  throw new CliError('warren admin: not yet', 2);
}
