import { registerEnumType } from 'type-graphql';

/** Why the CRM created a task by itself; stored on the task with a key naming the occasion. */
export enum FollowUpOrigin {
  STALE_DEAL = 'STALE_DEAL',
  BIRTHDAY = 'BIRTHDAY',
  CONTRACT_RENEWAL = 'CONTRACT_RENEWAL',
}
registerEnumType(FollowUpOrigin, {
  name: 'FollowUpOrigin',
  description: 'Why the CRM created a task by itself.',
  valuesConfig: {
    STALE_DEAL: { description: 'An open deal had no activity for the days its stage allows.' },
    BIRTHDAY: { description: 'A contact’s birthday (ahead by the workspace’s birthday offset).' },
    CONTRACT_RENEWAL: { description: 'An account’s contract renewal date (ahead by the workspace’s renewal offset).' },
  },
});

/** The occasion a generated task is for; the database keeps one per key (see migration 1763800000009). */
export interface FollowUpMark {
  origin: FollowUpOrigin;
  key: string;
}
