import { sweepAllWorkspaces } from '../src/modules/follow-ups';
import type { JobHandler } from './jobs';

/** Every FOLLOW_UP_SWEEP_MINUTES (SCHEDULES in jobs.ts); the rules: modules/follow-ups/follow-up-sweep.ts. */
export const sweepFollowUps: JobHandler<'follow-ups', 'follow-up-sweep'> = (_job, runtime) => sweepAllWorkspaces(runtime);
