import type { MigrationInterface, QueryRunner } from 'typeorm';

const isolate = (table: string) => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY workspace_isolation ON ${table}
    USING (workspace_id = crm_current_workspace())
    WITH CHECK (workspace_id = crm_current_workspace());`;

/**
 * Webhooks: subscriptions to record events, delivered signed (Standard Webhooks) with retries.
 * A webhook's signing secret is kept sealed (AES-256-GCM under DATA_ENCRYPTION_KEY): HMAC needs
 * it in clear, so it cannot be hashed like an API key. One delivery per (webhook, event), so the
 * fan-out may run twice; every attempt of it is logged. Deliveries name their event without a
 * foreign key: the record-event purge must stay free to delete old events.
 */
export class Webhooks1763800000020 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        url varchar(2000) NOT NULL,
        events text[] NOT NULL,
        fields text[] NOT NULL DEFAULT '{}',
        description varchar(500),
        secret_sealed text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        failing_since timestamptz,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1,
        UNIQUE (workspace_id, id)
      );
      CREATE INDEX webhooks_workspace_created_idx ON webhooks (workspace_id, created_at, id);
      CREATE INDEX webhooks_enabled_idx ON webhooks (workspace_id) WHERE enabled;
      CREATE INDEX webhooks_created_by_idx ON webhooks (created_by);
      ${isolate('webhooks')}

      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        webhook_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type varchar(100) NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'DEAD')),
        attempts integer NOT NULL DEFAULT 0,
        first_attempt_at timestamptz,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        duration_ms integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (webhook_id, event_id),
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE
      );
      CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (workspace_id, webhook_id, created_at DESC, id DESC);
      CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (webhook_id) WHERE status IN ('PENDING', 'FAILED');
      ${isolate('webhook_deliveries')}

      CREATE TABLE webhook_delivery_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        delivery_id uuid NOT NULL,
        at timestamptz NOT NULL,
        status_code integer,
        error text,
        duration_ms integer NOT NULL,
        response_excerpt varchar(512),
        manual boolean NOT NULL DEFAULT false,
        FOREIGN KEY (workspace_id, delivery_id) REFERENCES webhook_deliveries (workspace_id, id) ON DELETE CASCADE
      );
      CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, at, id);
      ${isolate('webhook_delivery_attempts')}`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE webhook_delivery_attempts;
      DROP TABLE webhook_deliveries;
      DROP TABLE webhooks;`);
  }
}
