// The page a browser gets where an API client gets the error shape: what happened, what to do, one link onward.

/** Static text only: no script, no outside resource; the page cannot be framed. */
export const MESSAGE_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export interface MessagePage {
  title: string;
  paragraphs: string[];
  link?: { href: string; text: string };
  /** Reload the page after this many seconds (a workspace that is starting). */
  refreshSeconds?: number;
}

/** The page's HTML; every text is escaped. */
export function messagePageHtml(p: MessagePage): string {
  const refresh =
    p.refreshSeconds === undefined
      ? ''
      : `<meta http-equiv="refresh" content="${Math.max(1, p.refreshSeconds)}">`;
  const link = p.link ? `<p><a href="${escapeHtml(p.link.href)}">${escapeHtml(p.link.text)}</a></p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(p.title)} · Warren</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1.25rem;color:#1d2433}
h1{font-size:1.4rem}a{color:#2450c8}@media (prefers-color-scheme:dark){body{background:#14171f;color:#e3e7ef}a{color:#8fb0ff}}</style>
</head><body><main><h1>${escapeHtml(p.title)}</h1>
${p.paragraphs.map((t) => `<p>${escapeHtml(t)}</p>`).join('\n')}
${link}</main></body></html>
`;
}
