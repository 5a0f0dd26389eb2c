// Reading `.gitmodules` to suggest a project's additional repositories (same owner, same GitHub host).

/** One `[submodule "…"]` section. */
export interface Submodule {
  name: string;
  path: string | null;
  url: string | null;
}

/** Parses git-config syntax as `.gitmodules` uses it; unknown keys and malformed lines are skipped. */
export function parseGitmodules(text: string): Submodule[] {
  const out: Submodule[] = [];
  let current: Submodule | null = null;
  for (const raw of text.split(/\r?\n/).slice(0, 10_000)) {
    const line = raw.replace(/(^|\s)[#;].*$/, '').trim();
    if (line === '') continue;
    const section = /^\[\s*submodule\s+"([^"]*)"\s*\]$/.exec(line);
    if (section) {
      current = { name: section[1]!, path: null, url: null };
      out.push(current);
      continue;
    }
    if (line.startsWith('[')) {
      current = null;
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) continue;
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'path') current.path = value;
    if (key === 'url') current.url = value;
  }
  return out;
}

/**
 * The `owner/name` a submodule URL points at on `host`, resolving relative URLs (`../x.git`) against the
 * primary repository; null for other hosts or unparseable URLs.
 */
export function repoOfSubmoduleUrl(url: string, primaryFullName: string, host = 'github.com'): string | null {
  const [owner, name] = primaryFullName.split('/');
  let path: string | null = null;
  if (url.startsWith('../') || url.startsWith('./')) {
    const parts = [owner!, name!];
    for (const seg of url.split('/')) {
      if (seg === '..') parts.pop();
      else if (seg !== '.' && seg !== '') parts.push(seg);
    }
    path = parts.join('/');
  } else {
    const esc = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m =
      new RegExp(`^(?:https?|ssh|git)://(?:[^@/]+@)?${esc}(?::\\d+)?/(.+)$`, 'i').exec(url) ??
      new RegExp(`^[^@/]+@${esc}:(.+)$`, 'i').exec(url);
    path = m ? m[1]! : null;
  }
  if (path === null) return null;
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(path);
  return m ? `${m[1]}/${m[2]}` : null;
}

/** Submodule repositories under the primary repository's owner, in order, without duplicates or the primary. */
export function suggestSameOwnerRepos(
  gitmodules: string,
  primaryFullName: string,
  host = 'github.com',
): string[] {
  const owner = primaryFullName.split('/')[0]!.toLowerCase();
  const seen = new Set<string>([primaryFullName.toLowerCase()]);
  const out: string[] = [];
  for (const sub of parseGitmodules(gitmodules)) {
    const repo = sub.url && repoOfSubmoduleUrl(sub.url, primaryFullName, host);
    if (!repo || repo.split('/')[0]!.toLowerCase() !== owner || seen.has(repo.toLowerCase())) continue;
    seen.add(repo.toLowerCase());
    out.push(repo);
  }
  return out;
}
