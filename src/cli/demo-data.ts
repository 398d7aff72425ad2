import type { Config } from '../config/config';
import { RequestContext, type Actor } from '../kernel/context';
import { createDataSource } from '../kernel/db/data-source';
import { createLogger } from '../kernel/logger';
import { Role } from '../kernel/auth/roles';
import { encodeId } from '../kernel/ids';
import { accountService } from '../modules/accounts';
import { ActivityType, activityService } from '../modules/activities';
import { contactService } from '../modules/contacts';
import { DealContactRole, dealStageService, dealService } from '../modules/deals';
import { authService, membersService, type Membership } from '../modules/identity';
import { pipelineService, StageKind } from '../modules/pipelines';
import { TicketCategory, TicketPriority, TicketStatus, ticketService } from '../modules/tickets';
import { Weekday, businessCalendarService, slaPolicyService } from '../modules/sla';
import { seedOrders } from './demo-orders';

export const DEMO_LOGIN = { email: 'demo@example.com', password: 'demo-password-123' };

const INDUSTRIES = ['Manufacturing', 'Retail', 'Software', 'Logistics', 'Healthcare', 'Energy', 'Finance', 'Construction'];
const CITIES: Array<[string, string, string]> = [
  ['Berlin', '10115', 'DE'], ['Hamburg', '20095', 'DE'], ['München', '80331', 'DE'], ['Köln', '50667', 'DE'],
  ['Wien', '1010', 'AT'], ['Zürich', '8001', 'CH'], ['Amsterdam', '1012', 'NL'], ['Paris', '75001', 'FR'],
];
const NAME_PARTS = ['Nord', 'Süd', 'Alpen', 'Rhein', 'Elb', 'Isar', 'Main', 'Spree', 'Donau', 'Weser', 'Hansa', 'Kontor'];
const SUFFIXES = ['Technik', 'Logistik', 'Handel', 'Werke', 'Systeme', 'Bau', 'Energie', 'Software'];
const FORMS = ['GmbH', 'AG', 'KG', 'GmbH & Co. KG'];

/** Deterministic pseudo-random numbers, so every demo database looks the same. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

const FIRST_NAMES = ['Anna', 'Jonas', 'Lea', 'Felix', 'Marie', 'Paul', 'Sophie', 'Lukas', 'Emma', 'Noah', 'Mia', 'Elias', 'Clara', 'Ben'];
const LAST_NAMES = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Koch', 'Richter', 'Wolf'];
const TITLES = ['Einkaufsleiterin', 'Head of Operations', 'Geschäftsführer', 'IT-Leiter', 'Controller', 'Projektmanagerin', 'Buyer'];
const DEAL_TOPICS = ['Rahmenvertrag', 'Pilotprojekt', 'Lizenzerweiterung', 'Wartungsvertrag', 'Rollout', 'Beratung', 'Ersatzteile'];
const TICKET_SUBJECTS: Array<[string, TicketCategory]> = [
  ['Lieferung unvollständig', TicketCategory.COMPLAINT],
  ['Rechnung doppelt erhalten', TicketCategory.COMPLAINT],
  ['Frage zur Schnittstelle', TicketCategory.QUESTION],
  ['Login funktioniert nicht', TicketCategory.PROBLEM],
  ['Bitte Angebot für Zusatzmodul', TicketCategory.REQUEST],
  ['Produkt beschädigt angekommen', TicketCategory.COMPLAINT],
];
const COUNTS = { accounts: 300, contactsPerAccount: 2, deals: 240, tickets: 120, activities: 400 };

/** Office hours Mon–Fri 9–17 in Berlin with the German national holidays of 2026, and one policy per priority. */
async function seedSla(ctx: RequestContext, agent: Membership, manager: Membership): Promise<void> {
  const weekdays = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY];
  const calendar = await businessCalendarService.create(ctx, {
    name: 'Büro Berlin',
    timeZone: 'Europe/Berlin',
    openingHours: weekdays.map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    holidays: ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03', '2026-12-25', '2026-12-26'],
    isDefault: true,
  });
  const targets: Array<[TicketPriority, number, number]> = [
    [TicketPriority.URGENT, 30, 4 * 60],
    [TicketPriority.HIGH, 2 * 60, 8 * 60],
    [TicketPriority.NORMAL, 4 * 60, 3 * 8 * 60],
    [TicketPriority.LOW, 8 * 60, 5 * 8 * 60],
  ];
  for (const [priority, firstResponseMinutes, resolutionMinutes] of targets) {
    await slaPolicyService.create(ctx, { priority, firstResponseMinutes, resolutionMinutes, calendarId: calendar.globalId });
  }
  await membersService.setManager(ctx, agent.id, encodeId('User', manager.userId));
}

/** A realistic, deterministic workspace: team, accounts, contacts, deals in every stage, tickets, diary. */
async function seedRecords(ctx: RequestContext, adminId: string, log: (line: string) => void): Promise<void> {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const progress = (what: string, done: number, total: number) => {
    if (done % 100 === 0 || done === total) log(`${what}: ${done}/${total}`);
  };

  const team = [encodeId('User', adminId)];
  const seats: Membership[] = [];
  for (const [name, role] of [['Sam Sales', Role.SALES], ['Sina Support', Role.SUPPORT], ['Max Manager', Role.MANAGER]] as const) {
    const email = `${name.split(' ')[0].toLowerCase()}@example.com`;
    const member = await membersService.add(ctx, { email, name, role, password: DEMO_LOGIN.password });
    team.push(encodeId('User', member.userId));
    seats.push(member);
  }
  log(`team: ${team.length} members (all with password ${DEMO_LOGIN.password})`);
  await seedSla(ctx, seats[1], seats[2]);
  log('SLA: office hours in Berlin, a policy per priority; Max manages Sina');

  const accountIds: string[] = [];
  for (let i = 0; i < COUNTS.accounts; i++) {
    const [city, postalCode, country] = pick(CITIES);
    const base = `${pick(NAME_PARTS)}${pick(SUFFIXES).toLowerCase()}`;
    const account = await accountService.create(ctx, {
      name: `${base} ${pick(FORMS)}`,
      domain: `${base.toLowerCase().replace(/[^a-z]/g, '')}${i}.example`,
      industry: pick(INDUSTRIES),
      city,
      postalCode,
      country,
      employeeCount: Math.floor(random() * 2000) + 5,
      annualRevenue: `${Math.floor(random() * 50_000_000) + 100_000}.00`,
      ownerId: pick(team),
    });
    accountIds.push(account.globalId);
    progress('accounts', i + 1, COUNTS.accounts);
  }

  const contactsByAccount = new Map<string, string[]>();
  let contactCount = 0;
  for (const accountId of accountIds) {
    for (let j = 0; j < COUNTS.contactsPerAccount; j++) {
      const [firstName, lastName] = [pick(FIRST_NAMES), pick(LAST_NAMES)];
      const contact = await contactService.create(ctx, {
        firstName,
        lastName,
        email: `${firstName}.${lastName}.${++contactCount}@kunde.example`.toLowerCase().replace(/ü/g, 'ue'),
        jobTitle: pick(TITLES),
        accountId,
        ownerId: pick(team),
      });
      contactsByAccount.set(accountId, [...(contactsByAccount.get(accountId) ?? []), contact.globalId]);
    }
    progress('contacts', contactCount, accountIds.length * COUNTS.contactsPerAccount);
  }

  const pipeline = await pipelineService.defaultPipeline(ctx);
  const openStages = (await pipelineService.stagesOf(ctx, pipeline.id)).filter((stage) => stage.kind === StageKind.OPEN);
  const dealIds: string[] = [];
  for (let i = 0; i < COUNTS.deals; i++) {
    const accountId = pick(accountIds);
    const [primaryContactId, other] = contactsByAccount.get(accountId)!;
    const closeIn = Math.floor(random() * 180) - 30;
    const deal = await dealService.create(ctx, {
      name: `${pick(DEAL_TOPICS)} ${i + 1}`,
      amount: `${(Math.floor(random() * 2000) + 10) * 100}.00`,
      stageId: pick(openStages).globalId,
      expectedCloseDate: new Date(Date.now() + closeIn * 86_400_000).toISOString().slice(0, 10),
      accountId,
      primaryContactId,
      ownerId: pick(team.slice(0, 2).concat(team[3])),
      contacts: [{ contactId: other, role: pick(Object.values(DealContactRole)) }],
    });
    const outcome = random();
    if (outcome < 0.15) await dealStageService.win(ctx, deal.id);
    else if (outcome < 0.25) await dealStageService.lose(ctx, deal.id, pick(['Preis zu hoch', 'Wettbewerber', 'Kein Budget']));
    dealIds.push(deal.globalId);
    progress('deals', i + 1, COUNTS.deals);
  }

  const ticketIds: string[] = [];
  for (let i = 0; i < COUNTS.tickets; i++) {
    const accountId = pick(accountIds);
    const [subject, category] = pick(TICKET_SUBJECTS);
    const ticket = await ticketService.create(ctx, {
      subject,
      category,
      priority: pick(Object.values(TicketPriority)),
      accountId,
      contactId: contactsByAccount.get(accountId)![0],
      assigneeId: team[2],
    });
    const stage = random();
    if (stage > 0.3) await ticketService.changeStatus(ctx, ticket.id, TicketStatus.OPEN);
    if (stage > 0.6) await ticketService.changeStatus(ctx, ticket.id, TicketStatus.RESOLVED);
    if (stage > 0.8) await ticketService.changeStatus(ctx, ticket.id, TicketStatus.CLOSED);
    ticketIds.push(ticket.globalId);
    progress('tickets', i + 1, COUNTS.tickets);
  }

  const types = [ActivityType.CALL, ActivityType.MEETING, ActivityType.EMAIL, ActivityType.NOTE, ActivityType.TASK];
  for (let i = 0; i < COUNTS.activities; i++) {
    const type = pick(types);
    const dealId = pick(dealIds);
    const dayOffset = Math.floor(random() * 60) - 45;
    const when = new Date(Date.now() + dayOffset * 86_400_000);
    const activity = await activityService.create(ctx, {
      type,
      subject: `${type === ActivityType.TASK ? 'Nachfassen' : type.toLowerCase()}: ${pick(DEAL_TOPICS)}`,
      dealId,
      ticketId: type === ActivityType.EMAIL && random() < 0.3 ? pick(ticketIds) : undefined,
      ...(type === ActivityType.TASK ? { dueAt: when } : type === ActivityType.MEETING ? { occurredAt: when, durationMinutes: 60 } : { occurredAt: dayOffset < 0 ? when : new Date() }),
      ownerId: pick(team),
    });
    if (type === ActivityType.TASK && dayOffset < -7) await activityService.completeTask(ctx, activity.id);
    progress('activities', i + 1, COUNTS.activities);
  }
  await seedOrders(ctx, seededRandom(4711), accountIds, contactsByAccount, log);
}

/**
 * Loads the demo workspace through the same services the API uses. Idempotent: when the demo
 * user exists, nothing is done.
 */
export async function seedDemo(config: Config, log: (line: string) => void): Promise<void> {
  const dataSource = createDataSource({ url: config.DATABASE_URL, poolSize: 2, applicationName: 'crm-demo-seed' });
  await dataSource.initialize();
  const runtime = { config, dataSource, logger: createLogger('silent') };
  const anonymous = new RequestContext(runtime, null);
  try {
    const signedIn = await authService.signIn(anonymous, { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password }).catch(() => null);
    if (signedIn) {
      log(`demo workspace exists; sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
      return;
    }
    const signup = await authService.signUp(anonymous, { workspaceName: 'Demo Handels GmbH', name: 'Dana Demo', ...DEMO_LOGIN });
    const admin: Actor = { userId: signup.user.id, workspaceId: signup.workspace.id, role: Role.ADMIN };
    const ctx = new RequestContext(runtime, admin);
    try {
      await seedRecords(ctx, signup.user.id, log);
    } finally {
      await ctx.close();
    }
    log(`demo workspace ready; sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  } finally {
    await anonymous.close();
    await dataSource.destroy();
  }
}
