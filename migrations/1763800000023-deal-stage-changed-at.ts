import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a deal entered its current stage, kept on the deal itself: the stale-deal follow-up sweep
 * read it from the event log, which is purged after RECORD_EVENTS_RETENTION_DAYS, so a deal that
 * moved before the retention window looked as if it had sat in its stage since its creation.
 * A trigger sets it on every change of stage_id, whatever the path (move, update, upsert,
 * automation). Existing deals are filled from the log where it still holds their last move.
 */
export class DealStageChangedAt1763800000023 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deals ADD COLUMN stage_changed_at timestamptz NOT NULL DEFAULT now();

      -- The backfill spans every workspace: lift row-level security for the owner for this statement only.
      ALTER TABLE deals NO FORCE ROW LEVEL SECURITY;
      ALTER TABLE record_events NO FORCE ROW LEVEL SECURITY;
      UPDATE deals d SET stage_changed_at = COALESCE(
        (SELECT max(e.occurred_at) FROM record_events e
          WHERE e.workspace_id = d.workspace_id AND e.record_id = d.id AND e.type = 'deal.updated' AND 'stageId' = ANY (e.changed)),
        d.created_at);
      ALTER TABLE deals FORCE ROW LEVEL SECURITY;
      ALTER TABLE record_events FORCE ROW LEVEL SECURITY;

      CREATE FUNCTION crm_deal_stage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.stage_changed_at := now();
          RETURN NEW;
        END $$;
      CREATE TRIGGER deals_stage_changed BEFORE UPDATE OF stage_id ON deals
        FOR EACH ROW WHEN (NEW.stage_id IS DISTINCT FROM OLD.stage_id) EXECUTE FUNCTION crm_deal_stage_changed();`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER deals_stage_changed ON deals;
      DROP FUNCTION crm_deal_stage_changed();
      ALTER TABLE deals DROP COLUMN stage_changed_at;`);
  }
}
