// Small HTML pages for browsers that land on a link the UI does not serve (a spent sign-in link, an app link).

/** Static text only: no script, no outside resource; the page cannot be framed. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A page that says what happened and what to do, with one link onward; `status` stays the error's. */
export function messagePage(
  status: number,
  title: string,
  paragraphs: string[],
  link: { href: string; text: string },
): Response {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Warren</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1.25rem;color:#1d2433}
h1{font-size:1.4rem}a{color:#2450c8}@media (prefers-color-scheme:dark){body{background:#14171f;color:#e3e7ef}a{color:#8fb0ff}}</style>
</head><body><main><h1>${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p></main></body></html>
`;
  return new Response(body, { status, headers: PAGE_HEADERS });
}
