import { AutomationActionType } from '../automation.enums';
import type { ActionHandler } from './action';
import { addTag } from './add-tag';
import { assignViaRouting } from './assign-via-routing';
import { callWebhook } from './call-webhook';
import { createNote, createTask } from './create-activity';
import { notifyUser } from './notify-user';
import { updateFields } from './update-fields';

/** Every action type and its handler; a new type is one file and one line here. */
export const ACTIONS: Record<AutomationActionType, ActionHandler<any>> = {
  [AutomationActionType.UPDATE_FIELDS]: updateFields,
  [AutomationActionType.CREATE_TASK]: createTask,
  [AutomationActionType.CREATE_NOTE]: createNote,
  [AutomationActionType.ADD_TAG]: addTag,
  [AutomationActionType.NOTIFY_USER]: notifyUser,
  [AutomationActionType.CALL_WEBHOOK]: callWebhook,
  [AutomationActionType.ASSIGN_VIA_ROUTING]: assignViaRouting,
};
