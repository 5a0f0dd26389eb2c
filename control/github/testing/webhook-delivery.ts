// Sends a webhook delivery the way GitHub does: JSON body, event headers, X-Hub-Signature-256.
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';

/** Posts `payload` as event `event` to `url`, signed with `secret` (or with the given signature header). */
export async function deliverWebhook(input: {
  url: string;
  secret: string;
  event: string;
  payload: unknown;
  /** Overrides the computed header, to test refusals. */
  signature?: string;
}): Promise<Response> {
  const body = JSON.stringify(input.payload);
  const signature = input.signature ?? (await sign(input.secret, body));
  return fetch(input.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': input.event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
      'user-agent': 'GitHub-Hookshot/fake',
    },
    body,
  });
}
