import type { MigrationInterface, QueryRunner } from 'typeorm';

const NEW_TABLES = ['teams', 'team_members', 'member_availability', 'routing_rules', 'routing_decisions'];

/**
 * Lead routing: where a lead comes from (`source`) and where it is (a contact's region and
 * postal code) for rule conditions and territories; teams; members' availability and capacity;
 * the ordered routing rules with their round-robin cursor; and the decisions taken.
 * `routing_rules.rr_cursor` is advanced in the transaction that assigns the owner, under the
 * rule row's lock, so concurrent routing never picks the same turn twice.
 */
export class Routing1763800000007 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE contacts ADD COLUMN source varchar(100), ADD COLUMN region varchar(100), ADD COLUMN postal_code varchar(20);
      ALTER TABLE deals ADD COLUMN source varchar(100);
      CREATE INDEX contacts_source_idx ON contacts (workspace_id, source);
      CREATE INDEX contacts_region_idx ON contacts (workspace_id, region);
      CREATE INDEX contacts_postal_code_idx ON contacts (workspace_id, postal_code text_pattern_ops);
      CREATE INDEX deals_source_idx ON deals (workspace_id, source);

      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, id)
      );
      CREATE UNIQUE INDEX teams_name_key ON teams (workspace_id, lower(name));
      CREATE INDEX teams_created_idx ON teams (workspace_id, created_at, id);

      CREATE TABLE team_members (
        workspace_id uuid NOT NULL,
        team_id uuid NOT NULL,
        user_id uuid NOT NULL,
        added_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (team_id, user_id),
        FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE,
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      );
      CREATE INDEX team_members_team_idx ON team_members (workspace_id, team_id, added_at, user_id);
      CREATE INDEX team_members_user_idx ON team_members (workspace_id, user_id);

      CREATE TABLE member_availability (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        unavailable boolean NOT NULL DEFAULT false,
        unavailable_until timestamptz,
        note varchar(200),
        max_open_deals integer CHECK (max_open_deals >= 0),
        max_contacts integer CHECK (max_contacts >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id),
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      );

      CREATE TABLE routing_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        object_type varchar(8) NOT NULL CHECK (object_type IN ('CONTACT', 'DEAL')),
        position integer NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        condition jsonb,
        strategy varchar(16) NOT NULL CHECK (strategy IN ('FIXED_USER', 'ROUND_ROBIN', 'LEAST_LOADED', 'TERRITORY')),
        user_id uuid,
        team_id uuid,
        territories jsonb NOT NULL DEFAULT '[]',
        rr_cursor bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1,
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (user_id),
        FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
      );
      CREATE INDEX routing_rules_position_idx ON routing_rules (workspace_id, position, id);
      CREATE INDEX routing_rules_user_idx ON routing_rules (workspace_id, user_id);
      CREATE INDEX routing_rules_team_idx ON routing_rules (workspace_id, team_id);

      CREATE TABLE routing_decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        object_type varchar(8) NOT NULL,
        record_id uuid NOT NULL,
        rule_id uuid,
        rule_name varchar(200),
        strategy varchar(16),
        owner_id uuid,
        outcome varchar(32) NOT NULL,
        reason text NOT NULL,
        candidates jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        FOREIGN KEY (workspace_id, rule_id) REFERENCES routing_rules (workspace_id, id) ON DELETE SET NULL (rule_id),
        FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (owner_id)
      );
      CREATE INDEX routing_decisions_record_idx ON routing_decisions (workspace_id, record_id, created_at DESC, id DESC);
      CREATE INDEX routing_decisions_rule_idx ON routing_decisions (workspace_id, rule_id);
      CREATE INDEX routing_decisions_owner_idx ON routing_decisions (workspace_id, owner_id);`);
    for (const table of NEW_TABLES) {
      await db.query(`
        ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY workspace_isolation ON ${table}
          USING (workspace_id = crm_current_workspace())
          WITH CHECK (workspace_id = crm_current_workspace());`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE routing_decisions, routing_rules, member_availability, team_members, teams;
      DROP INDEX deals_source_idx;
      ALTER TABLE deals DROP COLUMN source;
      DROP INDEX contacts_source_idx, contacts_region_idx, contacts_postal_code_idx;
      ALTER TABLE contacts DROP COLUMN source, DROP COLUMN region, DROP COLUMN postal_code;`);
  }
}
