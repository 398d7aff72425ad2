import type { MigrationInterface, QueryRunner } from 'typeorm';

const isolate = (table: string) => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY workspace_isolation ON ${table}
    USING (workspace_id = crm_current_workspace())
    WITH CHECK (workspace_id = crm_current_workspace());`;

/**
 * The forecast (modules/forecast):
 * - quotas: what a member should close in a fiscal period (its label, e.g. `2026-Q3`), in the
 *   reporting currency of the day it was set (`currency`); one per member and period.
 * - forecast_snapshots / forecast_snapshot_rows: the forecast of a period as it stood in a week
 *   (week_start: the Monday, workspace time zone), at the grain the forecast query sums (owner,
 *   pipeline, category, currency), so the history can be grouped as the forecast is. Taking a
 *   week's snapshot again replaces its rows: the header row is upserted first, which also
 *   queues concurrent takers of the same week behind each other.
 * - two partial covering indexes: the forecast of a period reads open deals by expected close
 *   date and closed deals by close time, from the index alone.
 */
export class Forecast1763800000060 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE quotas (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        period varchar(10) NOT NULL,
        amount numeric NOT NULL CHECK (amount >= 0),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, period, user_id),
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      );
      ${isolate('quotas')}

      CREATE TABLE forecast_snapshots (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        period varchar(10) NOT NULL,
        week_start date NOT NULL,
        currency char(3) NOT NULL,
        taken_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_id, period, week_start)
      );
      ${isolate('forecast_snapshots')}

      -- converted and weighted are null when no rate converted the currency on the deals' dates.
      CREATE TABLE forecast_snapshot_rows (
        workspace_id uuid NOT NULL,
        period varchar(10) NOT NULL,
        week_start date NOT NULL,
        owner_id uuid,
        pipeline_id uuid NOT NULL,
        category varchar(10) NOT NULL,
        currency char(3) NOT NULL,
        amount numeric NOT NULL,
        converted numeric,
        weighted numeric,
        deals int NOT NULL,
        FOREIGN KEY (workspace_id, period, week_start) REFERENCES forecast_snapshots (workspace_id, period, week_start) ON DELETE CASCADE
      );
      CREATE INDEX forecast_snapshot_rows_week_idx ON forecast_snapshot_rows (workspace_id, period, week_start);
      ${isolate('forecast_snapshot_rows')}

      CREATE INDEX deals_forecast_open_idx ON deals (workspace_id, expected_close_date)
        INCLUDE (owner_id, pipeline_id, stage_id, currency, amount, forecast_category)
        WHERE status = 'OPEN' AND deleted_at IS NULL;
      CREATE INDEX deals_forecast_closed_idx ON deals (workspace_id, closed_at)
        INCLUDE (owner_id, pipeline_id, status, currency, amount)
        WHERE status <> 'OPEN' AND deleted_at IS NULL;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX deals_forecast_closed_idx;
      DROP INDEX deals_forecast_open_idx;
      DROP TABLE forecast_snapshot_rows;
      DROP TABLE forecast_snapshots;
      DROP TABLE quotas;`);
  }
}
