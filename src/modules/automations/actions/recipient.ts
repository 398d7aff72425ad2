import { GraphQLError } from 'graphql';
import { encodeId } from '../../../kernel/ids';
import { membersService } from '../../identity';
import { TaskAssignee } from '../automation.enums';
import { ActionError, type ActionCheck, type ActionTarget } from './action';

/** Who a task or notification goes to: the record's owner, or a named member. */
export interface RecipientSettings {
  assignee: TaskAssignee;
  userId: string | null;
}

/** Checks `assignee`/`userId`: a MEMBER needs a current member of the workspace. */
export async function recipientSettings(check: ActionCheck): Promise<RecipientSettings> {
  const assignee = check.input.assignee ?? TaskAssignee.RECORD_OWNER;
  if (assignee === TaskAssignee.RECORD_OWNER) return { assignee, userId: null };
  const field = `${check.path}.userId`;
  if (!check.input.userId) {
    check.problems.push({ field, message: 'is required when assignee is MEMBER' });
    return { assignee, userId: null };
  }
  try {
    return { assignee, userId: (await membersService.memberRef(check.ctx, check.input.userId, field)) ?? null };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    check.problems.push({ field, message: 'no member of this workspace with this id' });
    return { assignee, userId: null };
  }
}

/** The recipient's public user id for this record; a record without an owner fails the action for good. */
export function recipientOf(target: ActionTarget, settings: RecipientSettings): string {
  const uuid = settings.assignee === TaskAssignee.MEMBER ? settings.userId : (target.record[target.object.ownerProperty] as string | null);
  if (!uuid) throw new ActionError('NO_RECIPIENT', `the ${target.object.nodeType.toLowerCase()} has no owner`, true);
  return encodeId('User', uuid);
}
