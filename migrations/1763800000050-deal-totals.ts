import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A maintained totals table: its key columns (but the slot), their null-safe unique index, and their values for a deal `d` of workspace `w`. */
interface Totals {
  table: string;
  key: string;
  keyIndex: string;
  keyOfDeal: string;
}

/**
 * deal_totals, keyed by everything a totals-path aggregate may filter or group by. The close
 * month is the month of a closed deal's close date (closed_at as a local date in the workspace's
 * time zone) and of an open deal's expected close date.
 */
const BY_KEY: Totals = {
  table: 'deal_totals',
  key: 'workspace_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, close_month',
  keyIndex: `workspace_id, pipeline_id, stage_id, COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), status,
    COALESCE(forecast_category, ''), currency, COALESCE(close_month, 'infinity'::date), slot`,
  keyOfDeal: `d.workspace_id, d.pipeline_id, d.stage_id, d.owner_id, d.status, d.forecast_category, d.currency,
    date_trunc('month', CASE WHEN d.status = 'OPEN' THEN d.expected_close_date ELSE (d.closed_at AT TIME ZONE w.time_zone)::date END)::date`,
};

/**
 * deal_stage_totals, the same per stage and status only: the pipeline-by-stage figures every
 * dashboard opens with read a few rows per stage (open deals all convert at today's rate, so
 * they need no month; closed ones keep their close month for its rate).
 */
const BY_STAGE: Totals = {
  table: 'deal_stage_totals',
  key: 'workspace_id, pipeline_id, stage_id, status, currency, close_month',
  keyIndex: `workspace_id, pipeline_id, stage_id, status, currency, COALESCE(close_month, 'infinity'::date), slot`,
  keyOfDeal: `d.workspace_id, d.pipeline_id, d.stage_id, d.status, d.currency,
    CASE WHEN d.status <> 'OPEN' THEN date_trunc('month', (d.closed_at AT TIME ZONE w.time_zone)::date)::date END`,
};

const TOTALS = [BY_KEY, BY_STAGE];

/** Adds the signed deltas of `source` (rows with `sign`) to a totals table, in key order so concurrent writers lock rows in one order. */
const applyDeltasTo = (totals: Totals, source: string) => {
  const columns = totals.key.split(',').map((_, i) => i + 1).join(', ');
  return `
  INSERT INTO ${totals.table} AS t (${totals.key}, slot, deal_count, amount)
  SELECT ${totals.keyOfDeal}, pg_backend_pid() % 16, sum(d.sign), sum(d.sign * d.amount)
    FROM (${source}) d JOIN workspaces w ON w.id = d.workspace_id
   GROUP BY ${columns}
  HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount) <> 0
   ORDER BY ${columns}
  ON CONFLICT (${totals.keyIndex}) DO UPDATE SET deal_count = t.deal_count + EXCLUDED.deal_count, amount = t.amount + EXCLUDED.amount`;
};

/** Adds the deltas to every totals table. */
const applyDeltas = (source: string) => TOTALS.map((totals) => applyDeltasTo(totals, source)).join(';\n');

const live = (rows: string, sign: number) =>
  `SELECT workspace_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, expected_close_date, closed_at, amount, ${sign} AS sign
     FROM ${rows} WHERE deleted_at IS NULL`;

/**
 * deal_totals (and deal_stage_totals, its roll-up per stage and status): the count and exact sum
 * of amount of the live deals per totals key, maintained by
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
${TOTALS.map(
        (totals) => `
      CREATE TABLE ${totals.table} (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        pipeline_id uuid NOT NULL,
        stage_id uuid NOT NULL,
        ${totals === BY_KEY ? 'owner_id uuid,' : ''}
        status varchar(8) NOT NULL,
        ${totals === BY_KEY ? 'forecast_category varchar(10),' : ''}
        currency char(3) NOT NULL,
        close_month date,
        slot smallint NOT NULL,
        deal_count bigint NOT NULL,
        amount numeric NOT NULL
      );
      CREATE UNIQUE INDEX ${totals.table}_key ON ${totals.table} (${totals.keyIndex});
      ALTER TABLE ${totals.table} ENABLE ROW LEVEL SECURITY;
      ALTER TABLE ${totals.table} FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON ${totals.table}
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());`,
      ).join('\n')}

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
          LOCK TABLE deal_totals, deal_stage_totals IN SHARE ROW EXCLUSIVE MODE;
          DELETE FROM deal_totals WHERE workspace_id = ws;
          DELETE FROM deal_stage_totals WHERE workspace_id = ws;
          ${applyDeltas(`${live('deals', 1)} AND workspace_id = ws`)};
        END $$;
      CREATE FUNCTION crm_deal_totals_time_zone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM crm_deal_totals_rebuild(NEW.id); RETURN NULL; END $$;
      CREATE TRIGGER workspaces_deal_totals_time_zone AFTER UPDATE OF time_zone ON workspaces
        FOR EACH ROW WHEN (NEW.time_zone IS DISTINCT FROM OLD.time_zone) EXECUTE FUNCTION crm_deal_totals_time_zone();

      ALTER TABLE deals NO FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_totals NO FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_stage_totals NO FORCE ROW LEVEL SECURITY;
      ${applyDeltas(live('deals', 1))};
      ALTER TABLE deals FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_totals FORCE ROW LEVEL SECURITY;
      ALTER TABLE deal_stage_totals FORCE ROW LEVEL SECURITY;`);
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
      DROP TABLE deal_stage_totals;
      DROP TABLE deal_totals;`);
  }
}
