import { snapshotAllWorkspaces } from '../src/modules/forecast';
import type { JobHandler } from './jobs';

/** Daily (SCHEDULES in jobs.ts); one snapshot per week and period: modules/forecast/forecast-snapshots.ts. */
export const takeForecastSnapshots: JobHandler<'forecasts', 'forecast-snapshots'> = (_job, runtime) => snapshotAllWorkspaces(runtime);
