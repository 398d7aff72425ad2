import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows belong to exactly one workspace; each gets the same isolation policy. */
const TENANT_TABLES = [
  'refresh_tokens',
  'accounts',
  'contacts',
  'pipelines',
  'stages',
  'deals',
  'deal_contacts',
  'tickets',
  'activities',
];

const RECORD_COLUMNS = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  deleted_at timestamptz`;

/**
 * The CRM core. Every tenant table carries workspace_id, and every reference between tenant
 * rows is a composite foreign key that includes it, so a row can never point into another
 * workspace. Row-level security (ENABLE + FORCE) is the second wall behind the service layer.
 */
export class Core1763800000000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.query(`
      CREATE FUNCTION crm_current_workspace() RETURNS uuid LANGUAGE sql STABLE
        AS $$ SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid $$;
      CREATE FUNCTION crm_current_user() RETURNS uuid LANGUAGE sql STABLE
        AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
      CREATE FUNCTION crm_lookup_email() RETURNS text LANGUAGE sql STABLE
        AS $$ SELECT NULLIF(current_setting('app.lookup_email', true), '') $$;`);

    await db.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        default_currency char(3) NOT NULL DEFAULT 'EUR',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      );
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        name varchar(200) NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      );
      CREATE UNIQUE INDEX users_email_key ON users (lower(email));
      CREATE TABLE memberships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('ADMIN', 'MANAGER', 'SALES', 'SUPPORT', 'READ_ONLY')),
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, user_id)
      );
      CREATE INDEX memberships_created_idx ON memberships (workspace_id, created_at, id);
      CREATE INDEX memberships_user_idx ON memberships (user_id);
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      );
      CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (workspace_id, user_id);`);

    await db.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        domain varchar(253),
        industry varchar(100),
        website varchar(500),
        phone varchar(50),
        street varchar(200),
        postal_code varchar(20),
        city varchar(100),
        country char(2),
        employee_count integer CHECK (employee_count >= 0),
        annual_revenue numeric(19, 4) CHECK (annual_revenue >= 0),
        owner_id uuid,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (owner_id)
      );
      CREATE UNIQUE INDEX accounts_domain_key ON accounts (workspace_id, lower(domain))
        WHERE deleted_at IS NULL AND domain IS NOT NULL;
      CREATE INDEX accounts_created_idx ON accounts (workspace_id, created_at, id);
      CREATE INDEX accounts_updated_idx ON accounts (workspace_id, updated_at, id);
      CREATE INDEX accounts_name_idx ON accounts (workspace_id, name, id);
      CREATE INDEX accounts_revenue_idx ON accounts (workspace_id, annual_revenue, id);
      CREATE INDEX accounts_name_prefix_idx ON accounts (workspace_id, lower(name) text_pattern_ops);
      CREATE INDEX accounts_name_trgm_idx ON accounts USING gin (name gin_trgm_ops);
      CREATE INDEX accounts_industry_idx ON accounts (workspace_id, industry);
      CREATE INDEX accounts_country_idx ON accounts (workspace_id, country);
      CREATE INDEX accounts_owner_idx ON accounts (workspace_id, owner_id);

      CREATE TABLE contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        first_name varchar(100),
        last_name varchar(100) NOT NULL,
        email varchar(320),
        phone varchar(50),
        job_title varchar(150),
        city varchar(100),
        country char(2),
        account_id uuid,
        owner_id uuid,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
        FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (owner_id)
      );
      CREATE UNIQUE INDEX contacts_email_key ON contacts (workspace_id, lower(email))
        WHERE deleted_at IS NULL AND email IS NOT NULL;
      CREATE INDEX contacts_created_idx ON contacts (workspace_id, created_at, id);
      CREATE INDEX contacts_updated_idx ON contacts (workspace_id, updated_at, id);
      CREATE INDEX contacts_last_name_idx ON contacts (workspace_id, last_name, id);
      CREATE INDEX contacts_first_name_idx ON contacts (workspace_id, first_name, id);
      CREATE INDEX contacts_last_name_prefix_idx ON contacts (workspace_id, lower(last_name) text_pattern_ops);
      CREATE INDEX contacts_first_name_prefix_idx ON contacts (workspace_id, lower(first_name) text_pattern_ops);
      CREATE INDEX contacts_email_prefix_idx ON contacts (workspace_id, lower(email) text_pattern_ops);
      CREATE INDEX contacts_account_idx ON contacts (workspace_id, account_id, created_at, id);
      CREATE INDEX contacts_owner_idx ON contacts (workspace_id, owner_id);
      CREATE INDEX contacts_country_idx ON contacts (workspace_id, country);

      CREATE TABLE pipelines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        is_default boolean NOT NULL DEFAULT false,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id)
      );
      CREATE UNIQUE INDEX pipelines_default_key ON pipelines (workspace_id) WHERE is_default AND deleted_at IS NULL;
      CREATE INDEX pipelines_created_idx ON pipelines (workspace_id, created_at, id);

      CREATE TABLE stages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        pipeline_id uuid NOT NULL,
        name varchar(100) NOT NULL,
        position integer NOT NULL CHECK (position >= 0),
        probability integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
        kind varchar(8) NOT NULL CHECK (kind IN ('OPEN', 'WON', 'LOST')),
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        UNIQUE (workspace_id, pipeline_id, id),
        FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id) ON DELETE CASCADE
      );
      CREATE INDEX stages_pipeline_idx ON stages (workspace_id, pipeline_id, position);

      CREATE TABLE deals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        amount numeric(19, 4) NOT NULL DEFAULT 0 CHECK (amount >= 0),
        currency char(3) NOT NULL,
        pipeline_id uuid NOT NULL,
        stage_id uuid NOT NULL,
        status varchar(8) NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'WON', 'LOST')),
        expected_close_date date,
        closed_at timestamptz,
        lost_reason varchar(500),
        account_id uuid,
        primary_contact_id uuid,
        owner_id uuid,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, pipeline_id, stage_id) REFERENCES stages (workspace_id, pipeline_id, id),
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
        FOREIGN KEY (workspace_id, primary_contact_id) REFERENCES contacts (workspace_id, id),
        FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (owner_id)
      );
      CREATE INDEX deals_created_idx ON deals (workspace_id, created_at, id);
      CREATE INDEX deals_updated_idx ON deals (workspace_id, updated_at, id);
      CREATE INDEX deals_name_idx ON deals (workspace_id, name, id);
      CREATE INDEX deals_name_prefix_idx ON deals (workspace_id, lower(name) text_pattern_ops);
      CREATE INDEX deals_amount_idx ON deals (workspace_id, amount, id);
      CREATE INDEX deals_close_date_idx ON deals (workspace_id, expected_close_date, id);
      CREATE INDEX deals_stage_idx ON deals (workspace_id, stage_id, status);
      CREATE INDEX deals_pipeline_status_idx ON deals (workspace_id, pipeline_id, status);
      CREATE INDEX deals_account_idx ON deals (workspace_id, account_id, status);
      CREATE INDEX deals_primary_contact_idx ON deals (workspace_id, primary_contact_id);
      CREATE INDEX deals_owner_idx ON deals (workspace_id, owner_id, status);

      CREATE TABLE deal_contacts (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        deal_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        role varchar(20) NOT NULL DEFAULT 'OTHER'
          CHECK (role IN ('DECISION_MAKER', 'ECONOMIC_BUYER', 'INFLUENCER', 'CHAMPION', 'USER', 'OTHER')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, deal_id, contact_id),
        FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id) ON DELETE CASCADE,
        FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
      );
      CREATE INDEX deal_contacts_contact_idx ON deal_contacts (workspace_id, contact_id);

      CREATE TABLE tickets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        subject varchar(300) NOT NULL,
        description text,
        status varchar(10) NOT NULL DEFAULT 'NEW' CHECK (status IN ('NEW', 'OPEN', 'PENDING', 'RESOLVED', 'CLOSED')),
        priority varchar(8) NOT NULL DEFAULT 'NORMAL' CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        category varchar(10) NOT NULL DEFAULT 'QUESTION' CHECK (category IN ('QUESTION', 'PROBLEM', 'COMPLAINT', 'REQUEST')),
        account_id uuid,
        contact_id uuid,
        assignee_id uuid,
        first_response_at timestamptz,
        resolved_at timestamptz,
        closed_at timestamptz,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
        FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
        FOREIGN KEY (workspace_id, assignee_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (assignee_id)
      );
      CREATE INDEX tickets_created_idx ON tickets (workspace_id, created_at, id);
      CREATE INDEX tickets_updated_idx ON tickets (workspace_id, updated_at, id);
      CREATE INDEX tickets_status_idx ON tickets (workspace_id, status, priority);
      CREATE INDEX tickets_subject_prefix_idx ON tickets (workspace_id, lower(subject) text_pattern_ops);
      CREATE INDEX tickets_account_idx ON tickets (workspace_id, account_id);
      CREATE INDEX tickets_contact_idx ON tickets (workspace_id, contact_id);
      CREATE INDEX tickets_assignee_idx ON tickets (workspace_id, assignee_id, status);

      CREATE TABLE activities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        type varchar(8) NOT NULL CHECK (type IN ('CALL', 'MEETING', 'EMAIL', 'NOTE', 'TASK')),
        subject varchar(300) NOT NULL,
        body text,
        occurred_at timestamptz,
        duration_minutes integer CHECK (duration_minutes >= 0),
        due_at timestamptz,
        completed_at timestamptz,
        account_id uuid,
        contact_id uuid,
        deal_id uuid,
        ticket_id uuid,
        owner_id uuid,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        CHECK (type = 'TASK' OR (due_at IS NULL AND completed_at IS NULL)),
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
        FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
        FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id),
        FOREIGN KEY (workspace_id, ticket_id) REFERENCES tickets (workspace_id, id),
        FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (owner_id)
      );
      CREATE INDEX activities_created_idx ON activities (workspace_id, created_at, id);
      CREATE INDEX activities_occurred_idx ON activities (workspace_id, occurred_at, id);
      CREATE INDEX activities_due_idx ON activities (workspace_id, due_at, id) WHERE type = 'TASK';
      CREATE INDEX activities_account_idx ON activities (workspace_id, account_id, created_at);
      CREATE INDEX activities_contact_idx ON activities (workspace_id, contact_id, created_at);
      CREATE INDEX activities_deal_idx ON activities (workspace_id, deal_id, created_at);
      CREATE INDEX activities_ticket_idx ON activities (workspace_id, ticket_id, created_at);
      CREATE INDEX activities_owner_idx ON activities (workspace_id, owner_id, completed_at);`);

    for (const table of TENANT_TABLES) {
      await db.query(`
        ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY workspace_isolation ON ${table}
          USING (workspace_id = crm_current_workspace())
          WITH CHECK (workspace_id = crm_current_workspace());`);
    }

    // Workspaces, users and memberships are also read before a workspace is chosen (sign-in),
    // so their policies add the signed-in user's own rows and an exact email lookup.
    await db.query(`
      ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
      ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON memberships
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());
      CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = crm_current_user());

      ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
      ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
      CREATE POLICY current_workspace ON workspaces
        USING (id = crm_current_workspace()) WITH CHECK (id = crm_current_workspace());
      CREATE POLICY member_workspaces ON workspaces FOR SELECT
        USING (EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = workspaces.id AND m.user_id = crm_current_user()));

      ALTER TABLE users ENABLE ROW LEVEL SECURITY;
      ALTER TABLE users FORCE ROW LEVEL SECURITY;
      CREATE POLICY self ON users USING (id = crm_current_user()) WITH CHECK (id = crm_current_user());
      CREATE POLICY email_lookup ON users FOR SELECT USING (lower(email) = crm_lookup_email());
      CREATE POLICY registration ON users FOR INSERT WITH CHECK (lower(email) = crm_lookup_email());
      CREATE POLICY workspace_members ON users FOR SELECT
        USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.workspace_id = crm_current_workspace()));`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE activities, tickets, deal_contacts, deals, stages, pipelines, contacts, accounts,
        refresh_tokens, memberships, users, workspaces;
      DROP FUNCTION crm_lookup_email(), crm_current_user(), crm_current_workspace();`);
  }
}
