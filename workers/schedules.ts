import type { Config } from '../src/config/config';
import type { Logger } from '../src/kernel/logger';
import type { Producers } from '../src/kernel/queue';
import { SCHEDULED_JOB_OPTIONS, SCHEDULES } from './jobs';

/** Upserts every recurring job: safe on every start, from several processes at once, and again after Redis forgot them. */
export async function registerSchedules(producers: Producers, config: Config, logger: Logger): Promise<void> {
  for (const schedule of SCHEDULES) {
    const everyMs = typeof schedule.everyMs === 'function' ? schedule.everyMs(config) : schedule.everyMs;
    await (producers[schedule.queue] as Producers['maintenance']).upsertJobScheduler(
      schedule.job,
      { every: everyMs },
      { name: schedule.job, data: schedule.data as never, opts: SCHEDULED_JOB_OPTIONS },
    );
    logger.info({ queue: schedule.queue, job: schedule.job, everyMs }, 'job scheduler registered');
  }
}

/** The recurring jobs Redis does not know (all of them after it restarted without its data). */
export async function missingSchedules(producers: Producers): Promise<string[]> {
  const found = await Promise.all(SCHEDULES.map((schedule) => (producers[schedule.queue] as Producers['maintenance']).getJobScheduler(schedule.job)));
  return SCHEDULES.filter((_, i) => !found[i]).map((schedule) => schedule.job);
}
