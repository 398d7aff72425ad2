import type { JobHandler } from './jobs';

/**
 * How long a dead token is kept. A used token that is presented again signals theft and
 * revokes the user's other tokens; keeping it a day keeps that check for replays that soon.
 */
const RETENTION = '24 hours';

/**
 * Deletes refresh tokens that expired, were used or were revoked more than RETENTION ago, in
 * every workspace. Row-level security confines the application role to one workspace, so
 * this goes through crm_purge_refresh_tokens (migration 1763800000001), which runs as the
 * table owner and can only ever see dead tokens.
 */
export const purgeRefreshTokens: JobHandler<'maintenance', 'purge-refresh-tokens'> = async (_job, runtime) => {
  const [row] = (await runtime.dataSource.query('SELECT crm_purge_refresh_tokens($1::interval) AS purged', [RETENTION])) as Array<{ purged: number }>;
  runtime.logger.info({ purged: row.purged, retention: RETENTION }, 'purged dead refresh tokens');
  return { purged: row.purged };
};
