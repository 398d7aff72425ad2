import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Lets ticket lists order by urgency (URGENT > HIGH > NORMAL > LOW) with keyset paging and an index. */
export class TicketPriorityRank1763800000002 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE tickets ADD COLUMN priority_rank smallint NOT NULL GENERATED ALWAYS AS (
        CASE priority WHEN 'URGENT' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'NORMAL' THEN 2 ELSE 1 END
      ) STORED;
      CREATE INDEX tickets_priority_rank_idx ON tickets (workspace_id, priority_rank, id);`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tickets DROP COLUMN priority_rank`);
  }
}
