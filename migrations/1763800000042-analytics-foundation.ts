import type { MigrationInterface, QueryRunner } from 'typeorm';

const isolate = (table: string) => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY workspace_isolation ON ${table}
    USING (workspace_id = crm_current_workspace())
    WITH CHECK (workspace_id = crm_current_workspace());`;

/**
 * What the reports (modules/analytics) stand on:
 * - exchange_rates: 1 unit of `currency` is worth `rate` units of `base` from `valid_from` on.
 *   The base is the workspace's reporting currency (its default currency) when the rate was set;
 *   crm_exchange_rate reads the rates of the current base only, so changing the default currency
 *   never converts with rates meant for another. The reporting currency itself converts at 1.
 * - workspaces.fiscal_year_start_month: the month fiscal quarters and years start in.
 * - forecast categories: an optional one per stage and an override per deal for open deals; a won
 *   deal is CLOSED, a lost one OMITTED (crm_forecast_category).
 * - deal_stage_history: every stage a deal entered, written by a trigger in the transaction that
 *   changes the stage (insert, move, win, lose, reopen, upsert, automation alike), so funnel and
 *   velocity do not depend on the event log, which is purged after its retention. A deal's open
 *   row (left_at null) is its current stage. Existing deals get their current stage only: the
 *   earlier stages are not known for certain.
 */
export class AnalyticsFoundation1763800000042 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE exchange_rates (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        base char(3) NOT NULL,
        currency char(3) NOT NULL CHECK (currency <> base),
        valid_from date NOT NULL,
        rate numeric(30, 12) NOT NULL CHECK (rate > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, base, currency, valid_from)
      );
      ${isolate('exchange_rates')}

      -- The rate converting one unit of cur into the reporting currency on on_date; null without one.
      CREATE FUNCTION crm_exchange_rate(ws uuid, cur char(3), on_date date) RETURNS numeric
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT CASE WHEN w.default_currency = cur THEN 1::numeric ELSE (
                   SELECT r.rate FROM exchange_rates r
                    WHERE r.workspace_id = ws AND r.base = w.default_currency AND r.currency = cur AND r.valid_from <= on_date
                    ORDER BY r.valid_from DESC LIMIT 1) END
            FROM workspaces w WHERE w.id = ws $$;

      ALTER TABLE workspaces ADD COLUMN fiscal_year_start_month smallint NOT NULL DEFAULT 1
        CHECK (fiscal_year_start_month BETWEEN 1 AND 12);

      -- Null on a stage: the default of its kind (crm_forecast_category); null on a deal: its stage's.
      ALTER TABLE stages ADD COLUMN forecast_category varchar(10)
        CHECK (forecast_category IN ('PIPELINE', 'BEST_CASE', 'COMMIT', 'CLOSED', 'OMITTED'));
      ALTER TABLE deals ADD COLUMN forecast_category varchar(10)
        CHECK (forecast_category IN ('PIPELINE', 'BEST_CASE', 'COMMIT', 'CLOSED', 'OMITTED'));

      -- The category a deal counts in: a closed deal's is fixed by its status (won: CLOSED, lost:
      -- OMITTED); an open deal's is its own override, else its stage's, else PIPELINE.
      CREATE FUNCTION crm_forecast_category(deal_status varchar, deal_category varchar, stage_category varchar) RETURNS varchar
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT CASE deal_status WHEN 'WON' THEN 'CLOSED' WHEN 'LOST' THEN 'OMITTED'
                 ELSE COALESCE(deal_category, stage_category, 'PIPELINE') END $$;

      CREATE TABLE deal_stage_history (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        deal_id uuid NOT NULL,
        pipeline_id uuid NOT NULL,
        stage_id uuid NOT NULL,
        entered_at timestamptz NOT NULL,
        left_at timestamptz CHECK (left_at >= entered_at),
        FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id) ON DELETE CASCADE
      );
      CREATE INDEX deal_stage_history_deal_idx ON deal_stage_history (workspace_id, deal_id, entered_at);
      CREATE UNIQUE INDEX deal_stage_history_open_idx ON deal_stage_history (workspace_id, deal_id) WHERE left_at IS NULL;
      CREATE INDEX deal_stage_history_stage_idx ON deal_stage_history (workspace_id, stage_id, entered_at);
      ${isolate('deal_stage_history')}

      ALTER TABLE deals NO FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_stage_history NO FORCE ROW LEVEL SECURITY;
      INSERT INTO deal_stage_history (workspace_id, deal_id, pipeline_id, stage_id, entered_at)
        SELECT workspace_id, id, pipeline_id, stage_id, stage_changed_at FROM deals;
      ALTER TABLE deals FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_stage_history FORCE ROW LEVEL SECURITY;

      -- stage_changed_at is set (now()) by the BEFORE trigger deals_stage_changed; this AFTER
      -- trigger sees the row as stored.
      CREATE FUNCTION crm_deal_stage_history() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' THEN
            UPDATE deal_stage_history SET left_at = GREATEST(entered_at, NEW.stage_changed_at)
             WHERE workspace_id = NEW.workspace_id AND deal_id = NEW.id AND left_at IS NULL;
          END IF;
          INSERT INTO deal_stage_history (workspace_id, deal_id, pipeline_id, stage_id, entered_at)
            VALUES (NEW.workspace_id, NEW.id, NEW.pipeline_id, NEW.stage_id, NEW.stage_changed_at);
          RETURN NULL;
        END $$;
      CREATE TRIGGER deals_stage_history_insert AFTER INSERT ON deals
        FOR EACH ROW EXECUTE FUNCTION crm_deal_stage_history();
      CREATE TRIGGER deals_stage_history_update AFTER UPDATE OF stage_id ON deals
        FOR EACH ROW WHEN (NEW.stage_id IS DISTINCT FROM OLD.stage_id) EXECUTE FUNCTION crm_deal_stage_history();`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER deals_stage_history_update ON deals;
      DROP TRIGGER deals_stage_history_insert ON deals;
      DROP FUNCTION crm_deal_stage_history();
      DROP TABLE deal_stage_history;
      DROP FUNCTION crm_forecast_category(varchar, varchar, varchar);
      ALTER TABLE deals DROP COLUMN forecast_category;
      ALTER TABLE stages DROP COLUMN forecast_category;
      ALTER TABLE workspaces DROP COLUMN fiscal_year_start_month;
      DROP FUNCTION crm_exchange_rate(uuid, char, date);
      DROP TABLE exchange_rates;`);
  }
}
