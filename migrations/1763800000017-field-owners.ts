import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Field ownership for sync: the one source (an external system's slug, or "crm") whose upserts
 * may change a field of an object; upserts from other sources leave it as it is.
 */
export class FieldOwners1763800000017 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE field_owners (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        object varchar(20) NOT NULL,
        field varchar(100) NOT NULL,
        system varchar(40) NOT NULL CHECK (system ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, object, field)
      );

      ALTER TABLE field_owners ENABLE ROW LEVEL SECURITY;
      ALTER TABLE field_owners FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON field_owners
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE field_owners;`);
  }
}
