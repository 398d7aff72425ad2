import { postJson } from '../../../kernel/outbound/http-post';
import { checkTarget, TargetRefused } from '../../../kernel/outbound/target-guard';
import { AutomationActionType } from '../automation.enums';
import { ActionError, requireSetting, type ActionHandler } from './action';

const DEFAULT_TIMEOUT_MS = 5_000;

/** 5xx and 429 may pass; any other non-2xx answer will not by retrying. */
const transientStatus = (status: number) => status >= 500 || status === 429;

/**
 * POSTs JSON describing the automation, the run and the record, through the webhooks' guard and
 * sender (src/kernel/outbound): the URL is refused when it points into a closed address range,
 * when saved and again when called. A non-2xx answer or a timeout fails the action. Unsigned: the
 * action has no secret; subscribe a webhook (createWebhook) for signed deliveries.
 */
export const callWebhook: ActionHandler<{ url: string; timeoutMs: number }> = {
  type: AutomationActionType.CALL_WEBHOOK,
  async settings(check) {
    requireSetting(check, 'url', check.input.url);
    const url = check.input.url ?? '';
    if (url) {
      await checkTarget(url, check.ctx.runtime.config.WEBHOOK_ALLOW_PRIVATE_TARGETS).catch((error: unknown) => {
        if (!(error instanceof TargetRefused)) throw error;
        check.problems.push({ field: `${check.path}.url`, message: error.message });
      });
    }
    return { url, timeoutMs: check.input.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  },
  async plan(ctx, target, settings) {
    const data = target.object.store.snapshot(ctx, target.record);
    const body = {
      automation: { id: target.automation.id, name: target.automation.name, version: target.automation.version },
      run: target.run,
      record: { type: target.object.type, id: data.id, data },
    };
    return { request: { method: 'POST', url: settings.url, headers: { 'content-type': 'application/json' }, body }, timeoutMs: settings.timeoutMs };
  },
  async apply(ctx, _target, plan) {
    const request = plan.request as { url: string; body: unknown };
    const result = await postJson({
      url: request.url,
      body: JSON.stringify(request.body),
      headers: {},
      timeoutMs: plan.timeoutMs as number,
      allowPrivate: ctx.runtime.config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    });
    if (result.status === null) {
      const code = { refused: 'WEBHOOK_REFUSED', timeout: 'WEBHOOK_TIMEOUT', unreachable: 'WEBHOOK_UNREACHABLE' }[result.error];
      throw new ActionError(code, result.message, result.error === 'refused');
    }
    if (!result.ok) throw new ActionError('WEBHOOK_HTTP_STATUS', `answered ${result.status}`, !transientStatus(result.status));
    return { status: result.status };
  },
};
