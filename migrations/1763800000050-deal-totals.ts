import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The totals key: every column a totals-path aggregate may filter or group by (null-safe for the unique index). */
const KEY = `workspace_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, close_month, slot`;
const KEY_INDEX = `workspace_id, pipeline_id, stage_id, COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), status,
  COALESCE(forecast_category, ''), currency, COALESCE(close_month, 'infinity'::date), slot`;

/**
 * A deal row's totals key columns (but the slot), from `d` joined with its workspace `w`: the
 * close month is the month of a closed deal's close date (closed_at as a local date in the
 * workspace's time zone) and of an open deal's expected close date.
 */
const KEY_OF_DEAL = `d.workspace_id, d.pipeline_id, d.stage_id, d.owner_id, d.status, d.forecast_category, d.currency,
  date_trunc('month', CASE WHEN d.status = 'OPEN' THEN d.expected_close_date
                           ELSE (d.closed_at AT TIME ZONE w.time_zone)::date END)::date`;

/** Adds the signed deltas of `source` (rows with `sign`) to the totals, in key order so concurrent writers lock rows in one order. */
const applyDeltas = (source: string) => `
  INSERT INTO deal_totals AS t (${KEY}, deal_count, amount)
  SELECT ${KEY_OF_DEAL}, pg_backend_pid() % 16, sum(d.sign), sum(d.sign * d.amount)
    FROM (${source}) d JOIN workspaces w ON w.id = d.workspace_id
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount) <> 0
   ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (${KEY_INDEX}) DO UPDATE SET deal_count = t.deal_count + EXCLUDED.deal_count, amount = t.amount + EXCLUDED.amount`;

const live = (rows: string, sign: number) =>
  `SELECT workspace_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, expected_close_date, closed_at, amount, ${sign} AS sign
     FROM ${rows} WHERE deleted_at IS NULL`;

/**
 * deal_totals: the count and exact sum of amount of the live deals per totals key, maintained by
 * statement triggers on deals in the writing transaction (insert, update of any kind — amount,
 * currency, stage, owner, status, close date, forecast category, trash and restore — and delete),
 * so the aggregate of a big workspace reads a few hundred rows instead of every deal. Amounts stay
 * in their own currency: conversion happens at read (rates may be set later, for past dates), and
 * the stage's probability and forecast category are joined at read too, so changing a stage never
 * rewrites totals.
 *
 * One workspace's concurrent writers would queue on one row per key; the slot (the backend's pid
 * mod 16) spreads them over up to 16 rows per key, which reads sum. Rows that fall to zero stay
 * (a later write reuses them; reads skip them).
 *
 * Changing a workspace's time zone moves closed deals between months: crm_deal_totals_rebuild
 * recomputes the workspace's totals from its deals (the full recompute tests compare against).
 */
export class DealTotals1763800000050 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE deal_totals (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        pipeline_id uuid NOT NULL,
        stage_id uuid NOT NULL,
        owner_id uuid,
        status varchar(8) NOT NULL,
        forecast_category varchar(10),
        currency char(3) NOT NULL,
        close_month date,
        slot smallint NOT NULL,
        deal_count bigint NOT NULL,
        amount numeric NOT NULL
      );
      CREATE UNIQUE INDEX deal_totals_key ON deal_totals (${KEY_INDEX});
      ALTER TABLE deal_totals ENABLE ROW LEVEL SECURITY;
      ALTER TABLE deal_totals FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON deal_totals
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());

      CREATE FUNCTION crm_deal_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${applyDeltas(live('new_rows', 1))}; RETURN NULL; END $$;
      CREATE FUNCTION crm_deal_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${applyDeltas(`${live('old_rows', -1)} UNION ALL ${live('new_rows', 1)}`)}; RETURN NULL; END $$;
      CREATE FUNCTION crm_deal_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${applyDeltas(live('old_rows', -1))}; RETURN NULL; END $$;
      CREATE TRIGGER deals_totals_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION crm_deal_totals_insert();
      CREATE TRIGGER deals_totals_update AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION crm_deal_totals_update();
      CREATE TRIGGER deals_totals_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION crm_deal_totals_delete();

      -- The table lock waits for the deal writes in flight and holds new ones until the rebuild
      -- commits, so no delta is both counted by the recompute and added again.
      CREATE FUNCTION crm_deal_totals_rebuild(ws uuid) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          LOCK TABLE deal_totals IN SHARE ROW EXCLUSIVE MODE;
          DELETE FROM deal_totals WHERE workspace_id = ws;
          ${applyDeltas(`${live('deals', 1)} AND workspace_id = ws`)};
        END $$;
      CREATE FUNCTION crm_deal_totals_time_zone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM crm_deal_totals_rebuild(NEW.id); RETURN NULL; END $$;
      CREATE TRIGGER workspaces_deal_totals_time_zone AFTER UPDATE OF time_zone ON workspaces
        FOR EACH ROW WHEN (NEW.time_zone IS DISTINCT FROM OLD.time_zone) EXECUTE FUNCTION crm_deal_totals_time_zone();

      ALTER TABLE deals NO FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_totals NO FORCE ROW LEVEL SECURITY;
      ${applyDeltas(live('deals', 1))};
      ALTER TABLE deals FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_totals FORCE ROW LEVEL SECURITY;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER workspaces_deal_totals_time_zone ON workspaces;
      DROP FUNCTION crm_deal_totals_time_zone();
      DROP FUNCTION crm_deal_totals_rebuild(uuid);
      DROP TRIGGER deals_totals_delete ON deals;
      DROP TRIGGER deals_totals_update ON deals;
      DROP TRIGGER deals_totals_insert ON deals;
      DROP FUNCTION crm_deal_totals_delete();
      DROP FUNCTION crm_deal_totals_update();
      DROP FUNCTION crm_deal_totals_insert();
      DROP TABLE deal_totals;`);
  }
}
