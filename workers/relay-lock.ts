import { Client } from 'pg';
import type { SqlRunner } from '../src/kernel/events/record-events';

/** First half of the relay lock's two-part advisory key (a key space of its own); the second is the relay's name. */
const RELAY_LOCK_CLASS = 7_638_011;

/**
 * One relay at a time across processes: a session-level advisory lock taken on a connection of
 * the relay's own (outside the pool, so no job ever inherits it). PostgreSQL releases it when
 * that connection ends, whether the process closed it or died, and another process's relay
 * takes it on its next try. The relay runs all its SQL on this same connection, so a relay that
 * lost its connection (and with it the lock) fails its tick instead of relaying unguarded.
 */
export class RelayLock {
  private client: Client | null = null;
  private held = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly relayName: string,
  ) {}

  /** Whether this relay holds the lock now (it may still learn on its next query that the connection is gone). */
  get holding(): boolean {
    return this.held;
  }

  /** Called for each notification on `channel` while this relay holds the lock (set before the first acquire). */
  onNotification: (() => void) | null = null;

  /**
   * Holds the lock, or tries once to take it; false while another relay has it. The holder also
   * listens on `channel` (if given) on the same connection: losing the connection loses both, and
   * the next acquire takes both again.
   */
  async acquire(channel?: string): Promise<boolean> {
    if (this.held) return true;
    const client = await this.connection();
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`, [
      RELAY_LOCK_CLASS,
      this.relayName,
    ]);
    if (rows[0].locked && channel) await client.query(`LISTEN ${channel}`);
    this.held = rows[0].locked;
    return this.held;
  }

  /** Runs statements on the lock's connection; resolves to the rows. */
  readonly sql: SqlRunner = {
    query: async (text, parameters) => (await (await this.connection()).query(text, parameters as unknown[])).rows,
  };

  /** Ends the connection, which releases the lock. */
  async release(): Promise<void> {
    const client = this.client;
    this.forget();
    await client?.end().catch(() => undefined);
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'crm-event-relay' });
    // A connection that broke or ended has lost the lock with it: the next try starts over with a new one.
    const lost = () => {
      if (this.client === client) this.forget();
    };
    client.on('error', () => {
      lost();
      client.end().catch(() => undefined);
    });
    client.on('end', lost);
    client.on('notification', () => this.onNotification?.());
    await client.connect();
    this.client = client;
    return client;
  }

  private forget(): void {
    this.client = null;
    this.held = false;
  }
}
