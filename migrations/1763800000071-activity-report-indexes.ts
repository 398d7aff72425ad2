import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for activityMetrics, so its counts read indexes alone instead of fetching a
 * row per activity (bench/README.md, "Sales reports"):
 * - activities that happened in a period, by occurred_at, with the owner and type;
 * - open tasks per owner with their due time (overdue tasks: every open task due before now).
 */
export class ActivityReportIndexes1763800000071 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX activities_happened_idx ON activities (workspace_id, occurred_at) INCLUDE (owner_id, type)
        WHERE deleted_at IS NULL AND occurred_at IS NOT NULL;
      CREATE INDEX activities_open_task_owner_idx ON activities (workspace_id, owner_id) INCLUDE (due_at)
        WHERE type = 'TASK' AND completed_at IS NULL AND deleted_at IS NULL;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX activities_open_task_owner_idx;
      DROP INDEX activities_happened_idx;`);
  }
}
