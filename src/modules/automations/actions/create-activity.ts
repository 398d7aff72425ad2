import { encodeId } from '../../../kernel/ids';
import { ActivityType, activityService, type CreateActivityInput } from '../../activities';
import { AutomationActionType } from '../automation.enums';
import { recipientOf, recipientSettings, type RecipientSettings } from './recipient';
import { requireObject, requireSetting, type ActionHandler, type ActionTarget } from './action';

interface NoteSettings {
  title: string;
  body: string | null;
}

interface TaskSettings extends NoteSettings, RecipientSettings {
  dueInHours: number;
}

const HOUR_MS = 3_600_000;

/** The activity the action would log on the record (public ids, as createActivity takes them). */
function linked(target: ActionTarget, fields: Partial<CreateActivityInput>): Record<string, unknown> {
  return { ...fields, [target.object.activityLink!]: encodeId(target.object.nodeType, target.record.id) };
}

/** Logs the planned activity through the activity service (same rules and events as the API). */
async function createActivity(ctx: Parameters<ActionHandler['apply']>[0], plan: Record<string, unknown>) {
  const activity = await activityService.create(ctx, plan.activity as CreateActivityInput);
  return { activityId: encodeId('Activity', activity.id) };
}

export const createTask: ActionHandler<TaskSettings> = {
  type: AutomationActionType.CREATE_TASK,
  async settings(check) {
    requireObject(check, check.object.activityLink !== null, 'tasks link to accounts, contacts, deals and tickets');
    requireSetting(check, 'title', check.input.title);
    const recipient = await recipientSettings(check);
    return { title: check.input.title ?? '', body: check.input.body ?? null, dueInHours: check.input.dueInHours ?? 24, ...recipient };
  },
  async plan(_ctx, target, settings) {
    const dueAt = new Date(Date.now() + settings.dueInHours * HOUR_MS).toISOString();
    const ownerId = recipientOf(target, settings);
    return { activity: linked(target, { type: ActivityType.TASK, subject: settings.title, body: settings.body, dueAt: dueAt as unknown as Date, ownerId }) };
  },
  apply: (ctx, _target, plan) => createActivity(ctx, plan),
};

export const createNote: ActionHandler<NoteSettings> = {
  type: AutomationActionType.CREATE_NOTE,
  async settings(check) {
    requireObject(check, check.object.activityLink !== null, 'notes link to accounts, contacts, deals and tickets');
    requireSetting(check, 'title', check.input.title);
    return { title: check.input.title ?? '', body: check.input.body ?? null };
  },
  async plan(_ctx, target, settings) {
    return { activity: linked(target, { type: ActivityType.NOTE, subject: settings.title, body: settings.body, ownerId: null }) };
  },
  apply: (ctx, _target, plan) => createActivity(ctx, plan),
};
