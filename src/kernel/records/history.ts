import { GraphQLError } from 'graphql';
import type { RequestContext } from '../context';
import { Permission } from '../auth/roles';
import { appError, badInput } from '../errors';

/**
 * History fields: values a record normally takes from the clock (its `createdAt`, a deal's close
 * time and stage history, a ticket's response times, a task's completion) that a workspace moved
 * from another CRM sets to what happened there, so its reports keep their past. Setting them
 * needs `history:write` (admins; API keys with that scope), and none may lie in the future.
 */

const NEEDS = 'writes history: needs the history:write permission (admins, or an API key with the history:write scope)';

/**
 * Refuses an input that sets any of `fields` (sent: not undefined) without `history:write`
 * (FORBIDDEN naming each such field) or with a time after `now` (BAD_USER_INPUT naming it).
 */
export async function checkHistoryFields(ctx: RequestContext, input: object, fields: readonly string[], now = new Date()): Promise<void> {
  const values = input as Record<string, unknown>;
  const sent = fields.filter((field) => values[field] !== undefined);
  if (sent.length === 0) return;
  try {
    await ctx.authorize(Permission.WRITE_HISTORY);
  } catch (error) {
    if (!(error instanceof GraphQLError && error.extensions.code === 'FORBIDDEN')) throw error;
    const problems = sent.map((field) => ({ field, message: NEEDS }));
    throw appError('FORBIDDEN', `Setting ${sent.join(', ')} ${NEEDS}`, { fields: problems });
  }
  const future = sent.filter((field) => values[field] instanceof Date && (values[field] as Date) > now);
  if (future.length) throw badInput(future.map((field) => ({ field, message: 'must not be in the future' })));
}

