// Small HTML pages for browsers that land on a link the UI does not serve (a spent sign-in link, an app link).
import { MESSAGE_PAGE_HEADERS, messagePageHtml } from '../../contract/index.ts';

/** A page that says what happened and what to do, with one link onward; `status` stays the error's. */
export function messagePage(
  status: number,
  title: string,
  paragraphs: string[],
  link: { href: string; text: string },
): Response {
  return new Response(messagePageHtml({ title, paragraphs, link }), {
    status,
    headers: MESSAGE_PAGE_HEADERS,
  });
}
