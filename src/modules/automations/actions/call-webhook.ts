import { AutomationActionType } from '../automation.enums';
import { ActionError, requireSetting, type ActionHandler } from './action';

const DEFAULT_TIMEOUT_MS = 5_000;

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** 5xx and 429 may pass; any other non-2xx answer will not by retrying. */
const transientStatus = (status: number) => status >= 500 || status === 429;

/**
 * POSTs JSON describing the automation, the run and the record. A non-2xx answer or a timeout
 * fails the action. (Signing and delivery logs are a later concern: webhooks, issue 4.)
 */
export const callWebhook: ActionHandler<{ url: string; timeoutMs: number }> = {
  type: AutomationActionType.CALL_WEBHOOK,
  async settings(check) {
    requireSetting(check, 'url', check.input.url);
    const url = check.input.url ?? '';
    if (url && !isHttpUrl(url)) check.problems.push({ field: `${check.path}.url`, message: 'must be an http(s) URL' });
    return { url, timeoutMs: check.input.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  },
  async plan(ctx, target, settings) {
    const body = {
      automation: { id: target.automation.id, name: target.automation.name, version: target.automation.version },
      run: target.run,
      record: { type: target.object.type, id: target.object.store.snapshot(ctx, target.record).id, data: target.object.store.snapshot(ctx, target.record) },
    };
    return { request: { method: 'POST', url: settings.url, headers: { 'content-type': 'application/json' }, body }, timeoutMs: settings.timeoutMs };
  },
  async apply(_ctx, _target, plan) {
    const request = plan.request as { url: string; headers: Record<string, string>; body: unknown };
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(plan.timeoutMs as number),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new ActionError(timedOut ? 'WEBHOOK_TIMEOUT' : 'WEBHOOK_UNREACHABLE', timedOut ? `no answer within ${plan.timeoutMs as number} ms` : String(error), false);
    }
    await response.body?.cancel();
    if (!response.ok) throw new ActionError('WEBHOOK_HTTP_STATUS', `answered ${response.status}`, !transientStatus(response.status));
    return { status: response.status };
  },
};
