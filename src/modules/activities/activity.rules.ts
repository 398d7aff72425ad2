import { badInput, type FieldProblem } from '../../kernel/errors';
import { ActivityType, type Activity } from './activity.entity';

const LINK_FIELDS = ['accountId', 'contactId', 'dealId', 'ticketId'] as const;

/** Types that record a moment and get `now` when none is given; they always keep one. */
export const STAMPED_NOW: readonly ActivityType[] = [ActivityType.CALL, ActivityType.EMAIL, ActivityType.NOTE];

/** Types that count as answering the customer when logged on a ticket. */
export const CUSTOMER_RESPONSES: readonly ActivityType[] = [ActivityType.CALL, ActivityType.EMAIL, ActivityType.MEETING];

const TIMED: readonly ActivityType[] = [...STAMPED_NOW, ActivityType.MEETING];
const WITH_DURATION: readonly ActivityType[] = [ActivityType.CALL, ActivityType.MEETING];

type ActivityShape = Partial<Pick<Activity, 'occurredAt' | 'durationMinutes' | 'dueAt' | 'completedAt' | (typeof LINK_FIELDS)[number]>>;

/**
 * Which fields a type may carry, checked on the record as it will be stored (after defaults on
 * create, current values merged with the patch on update). The database's CHECK refuses a due
 * time on anything but a task; these rules say so first, naming the field.
 */
export function assertShape(type: ActivityType, activity: ActivityShape): void {
  const kind = type.toLowerCase();
  const problems: FieldProblem[] = [];
  if (activity.dueAt != null && type !== ActivityType.TASK) {
    problems.push({ field: 'dueAt', message: `only tasks have a due time, not a ${kind}` });
  }
  if (activity.completedAt != null && type !== ActivityType.TASK) {
    problems.push({ field: 'completedAt', message: `only tasks are completed, not a ${kind}` });
  }
  if (activity.occurredAt != null && !TIMED.includes(type)) {
    problems.push({ field: 'occurredAt', message: `a ${kind} has no occurrence time; use dueAt` });
  }
  if (activity.occurredAt == null && STAMPED_NOW.includes(type)) {
    problems.push({ field: 'occurredAt', message: `cannot be cleared on a ${kind}` });
  }
  if (activity.durationMinutes != null && !WITH_DURATION.includes(type)) {
    problems.push({ field: 'durationMinutes', message: `only calls and meetings have a duration, not a ${kind}` });
  }
  if (LINK_FIELDS.every((field) => activity[field] == null)) {
    problems.push({ field: 'accountId', message: `at least one of ${LINK_FIELDS.join(', ')} is required` });
  }
  if (problems.length) throw badInput(problems);
}
