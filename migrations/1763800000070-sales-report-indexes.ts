import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the sales reports (modules/sales-performance), each a range over a time that no
 * index led with (bench/README.md, "Sales reports", has the plans and timings before and after):
 * - deals closed in a period (dealVelocity): by closed_at;
 * - tasks completed in a period (activityMetrics): by completed_at, the owner included so the
 *   count reads the index alone.
 */
export class SalesReportIndexes1763800000070 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX deals_closed_idx ON deals (workspace_id, closed_at) WHERE deleted_at IS NULL AND closed_at IS NOT NULL;
      CREATE INDEX activities_completed_task_idx ON activities (workspace_id, completed_at) INCLUDE (owner_id)
        WHERE type = 'TASK' AND deleted_at IS NULL AND completed_at IS NOT NULL;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX activities_completed_task_idx;
      DROP INDEX deals_closed_idx;`);
  }
}
