// The GitHub webhook endpoint: HMAC-SHA256 signature check (constant-time), then installation bookkeeping.
import { verify } from '@octokit/webhooks-methods';
import * as v from 'valibot';
import { type ErrorCode, errorResponse } from '../../contract/index.ts';
import { InstallationEventPayload } from './github-shapes.ts';
import type { InstallationStore } from './store.ts';

export interface WebhookConfig {
  /** Largest body accepted; default 1 MiB (installation events are a few KiB; GitHub caps at 25 MB). */
  maxBodyBytes: number;
}

export function defaultWebhookConfig(): WebhookConfig {
  return { maxBodyBytes: 1024 * 1024 };
}

export interface WebhookOptions {
  secret: string;
  installations: InstallationStore;
  config?: WebhookConfig;
}

/** What a delivery did, for logs and tests. */
export type WebhookEffect = 'installation_recorded' | 'installation_removed' | 'ignored';

/**
 * Creates the handler for `POST /api/v1/github/webhook`. It answers 401 when `X-Hub-Signature-256`
 * does not verify against the raw body, before parsing anything.
 */
export function createGitHubWebhookHandler(options: WebhookOptions): (req: Request) => Promise<Response> {
  const config = options.config ?? defaultWebhookConfig();
  return async (req) => {
    if (req.method !== 'POST') return error('invalid_request', 'use POST');
    const length = Number(req.headers.get('content-length') ?? '0');
    if (length > config.maxBodyBytes) return error('invalid_request', 'body too large');
    const body = await req.text();
    if (Buffer.byteLength(body) > config.maxBodyBytes) return error('invalid_request', 'body too large');
    const signature = req.headers.get('x-hub-signature-256') ?? '';
    let valid = false;
    try {
      // verify() compares with timingSafeEqual.
      valid = /^sha256=[0-9a-f]{64}$/.test(signature) && (await verify(options.secret, body, signature));
    } catch {
      valid = false;
    }
    if (!valid) return error('unauthorized', 'webhook signature does not verify');
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return error('invalid_request', 'body is not JSON');
    }
    const effect = await applyWebhook(
      options.installations,
      req.headers.get('x-github-event') ?? '',
      payload,
    );
    if (!effect.ok) return error('invalid_request', effect.message);
    return Response.json({ received: true, effect: effect.effect });
  };
}

/** Applies one verified delivery to the installation store. */
export async function applyWebhook(
  installations: InstallationStore,
  event: string,
  payload: unknown,
): Promise<{ ok: true; effect: WebhookEffect } | { ok: false; message: string }> {
  if (event !== 'installation') return { ok: true, effect: 'ignored' };
  const r = v.safeParse(InstallationEventPayload, payload);
  if (!r.success) return { ok: false, message: 'installation event has an unexpected shape' };
  const { action, installation } = r.output;
  if (action === 'deleted') {
    await installations.remove(installation.id);
    return { ok: true, effect: 'installation_removed' };
  }
  if (!['created', 'new_permissions_accepted', 'suspend', 'unsuspend'].includes(action)) {
    return { ok: true, effect: 'ignored' };
  }
  await installations.upsert({
    id: installation.id,
    accountId: installation.account.id,
    accountLogin: installation.account.login,
    accountType: installation.account.type,
    suspended: action === 'suspend' || (action !== 'unsuspend' && installation.suspended_at != null),
  });
  return { ok: true, effect: 'installation_recorded' };
}

function error(code: ErrorCode, message: string): Response {
  return errorResponse(code, message);
}
