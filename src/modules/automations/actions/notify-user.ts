import { parseId } from '../../../kernel/ids';
import { notificationService } from '../../notifications';
import { AutomationActionType } from '../automation.enums';
import { recipientOf, recipientSettings, type RecipientSettings } from './recipient';
import { requireSetting, type ActionHandler } from './action';

/** Notifies the record's owner or a member; the dedupe key (run, action) makes a retried run notify once. */
export const notifyUser: ActionHandler<RecipientSettings & { message: string }> = {
  type: AutomationActionType.NOTIFY_USER,
  async settings(check) {
    requireSetting(check, 'title', check.input.title);
    return { message: check.input.title ?? '', ...(await recipientSettings(check)) };
  },
  async plan(_ctx, target, settings) {
    return { userId: recipientOf(target, settings), kind: 'AUTOMATION', subject: settings.message };
  },
  async apply(ctx, target, plan) {
    const id = await ctx.db.write((em) =>
      notificationService.notify(ctx, em, {
        userId: parseId(plan.userId as string)!.uuid,
        kind: 'AUTOMATION',
        subject: plan.subject as string,
        recordType: target.object.nodeType,
        recordId: target.record.id,
        dedupeKey: `automation:${target.run?.id}:${target.index}`,
      }),
    );
    return { userId: plan.userId, notified: id !== null };
  },
};
