import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * External references: the ids other systems (an ERP, a shop) know a record by, so they can sync
 * without keeping ours. A system's id names at most one record of a type in a workspace, and a
 * record has at most one id per system (several systems per record). `record_type` is the node
 * type ('Account', …); refs stay while a record is in the trash, so a later upsert finds it.
 */
export class ExternalRefs1763800000016 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE external_refs (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        record_type varchar(20) NOT NULL,
        record_id uuid NOT NULL,
        system varchar(40) NOT NULL CHECK (system ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
        external_id varchar(200) NOT NULL CHECK (length(external_id) >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, record_type, system, external_id)
      );
      CREATE UNIQUE INDEX external_refs_record_system_key ON external_refs (workspace_id, record_type, record_id, system);

      ALTER TABLE external_refs ENABLE ROW LEVEL SECURITY;
      ALTER TABLE external_refs FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON external_refs
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE external_refs;`);
  }
}
