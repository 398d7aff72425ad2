import { AutomationActionType } from '../automation.enums';
import { requireObject, requireSetting, type ActionHandler } from './action';

/** Adds one tag through the object's update (validation, events); a tag already there changes nothing. */
export const addTag: ActionHandler<{ tag: string }> = {
  type: AutomationActionType.ADD_TAG,
  async settings(check) {
    requireObject(check, check.object.taggable, 'it has no tags');
    requireSetting(check, 'tag', check.input.tag);
    return { tag: check.input.tag?.trim() ?? '' };
  },
  async plan(_ctx, target, settings) {
    const before = (target.record.tags as string[] | undefined) ?? [];
    const after = before.includes(settings.tag) ? before : [...before, settings.tag];
    return { before, after, changed: after !== before, version: target.record.version };
  },
  async apply(ctx, target, plan) {
    if (!plan.changed) return { tags: plan.after, changed: false };
    // Read-modify-write guarded by the version read: a concurrent change is a CONFLICT, retried.
    await target.object.update(ctx, target.record.id, { tags: plan.after }, plan.version as number);
    return { tags: plan.after, changed: true };
  },
};
