// The operator's command line: `pnpm portal <command>` (docs/operations.md, "Operator commands").
// It talks to the same database as the server (DATABASE_URL, same default), and on
// PostgreSQL announces revocations to every running instance over LISTEN/NOTIFY.
import { join } from 'node:path';
import { buildOpenApiDocument } from '@portal/api';
import { AppError, ZPlan, ZReason, ZRole } from '@portal/contracts';
import { createCore, createLocalBus, createPostgresBus, type Core, type EventBus } from '@portal/core';
import { migrateDatabase, openDatabase, pgClientConfig } from '@portal/db';
import { databaseOptions, readEnv, coreConfig } from './env.ts';
import { repoRoot } from './root.ts';

const USAGE = `Usage: pnpm portal <command>

  plan set <username> free|premium     premium holds three active chats at once, free one
  role set <username> user|moderator   moderators see reports and block or suspend people
  sessions list <username>             the account's sessions (id, created, revoked)
  sessions revoke <username> <id>      signs one session out everywhere
  sessions revoke <username> --all     signs every session of the account out
  suspend <username> [reason]          suspends the account, moderators included: its searches and
                                       chats end, its sockets close, it cannot search again
  unsuspend <username> [reason]        lifts a suspension, moderators' included
  purge                                runs the retention purge now (the server runs it every
                                       PURGE_INTERVAL_MINUTES; one purge at a time over all instances)
  openapi                              prints the OpenAPI document the server serves at /v1/openapi.json
                                       (no database needed)

Reads DATABASE_URL like the server does (default file:./data/portal.db); run it where you run the server.`;

class UsageError extends Error {}

type Command = (core: Core, args: string[]) => Promise<string>;

const COMMANDS: Record<string, Command> = {
  'plan set': async (core, [username, plan]) => {
    const parsed = ZPlan.safeParse(plan);
    if (!username || !parsed.success) throw new UsageError('plan set <username> free|premium');
    await core.accounts.setPlan(username, parsed.data);
    return `${username} is now on the ${parsed.data} plan.`;
  },
  'role set': async (core, [username, role]) => {
    const parsed = ZRole.safeParse(role);
    if (!username || !parsed.success) throw new UsageError('role set <username> user|moderator');
    await core.accounts.setRole(username, parsed.data);
    return `${username} is now a ${parsed.data}.`;
  },
  'sessions list': async (core, [username]) => {
    if (!username) throw new UsageError('sessions list <username>');
    const sessions = await core.accounts.listSessions(username);
    if (sessions.length === 0) return `${username} has no sessions.`;
    return sessions
      .map((s) => `${s.id}  created ${s.created_at}  ${s.revoked_at ? `revoked ${s.revoked_at}` : 'live'}`)
      .join('\n');
  },
  // Moderators cannot act on each other (SPEC §11): suspending or reinstating one is the operator's.
  suspend: async (core, [username, ...words]) => {
    if (!username) throw new UsageError('suspend <username> [reason]');
    const reason = reasonOf(words);
    const result = await core.moderation.suspendByOperator(username, reason);
    const ended = result.chats_ended === 1 ? '1 chat' : `${result.chats_ended} chats`;
    return `${username} is suspended (${ended} ended).`;
  },
  unsuspend: async (core, [username, ...words]) => {
    if (!username) throw new UsageError('unsuspend <username> [reason]');
    await core.moderation.unsuspendByOperator(username, reasonOf(words));
    return `${username} is no longer suspended.`;
  },
  purge: async (core) => {
    const result = await core.retention.purge();
    if (!result) return 'Another purge is running; nothing done.';
    return `Purged ${result.chats} chats (${result.messages} messages), ${result.sessions} sessions, ${result.reports} reports, ${result.blocks} blocks.`;
  },
  'sessions revoke': async (core, [username, which]) => {
    if (!username || !which) throw new UsageError('sessions revoke <username> <session-id>|--all');
    const count = await core.accounts.revokeSessions(username, which === '--all' ? 'all' : which);
    return `Revoked ${count} session${count === 1 ? '' : 's'} of ${username}.`;
  },
};

/** The rest of the command line as the audit trail's reason (1–500 characters), or none. */
function reasonOf(words: string[]): string | null {
  if (words.length === 0) return null;
  const parsed = ZReason.safeParse(words.join(' '));
  if (!parsed.success) throw new UsageError('suspend|unsuspend <username> [reason of 1-500 characters]');
  return parsed.data;
}

async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === 'openapi') {
    process.stdout.write(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
    return 0;
  }
  const key = Object.hasOwn(COMMANDS, argv.slice(0, 2).join(' ')) ? argv.slice(0, 2).join(' ') : (argv[0] ?? '');
  const command = Object.hasOwn(COMMANDS, key) ? COMMANDS[key] : undefined;
  if (!command) {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' ? 0 : 2;
  }
  const env = readEnv();
  const root = repoRoot();
  const provider = env.DATABASE_URL.startsWith('file:') ? 'sqlite' : 'postgresql';
  await migrateDatabase(env.DATABASE_URL, {
    migrationsDir: join(root, provider === 'sqlite' ? 'prisma/migrations' : 'prisma/postgres/migrations'),
  });
  const dbOptions = { ...databaseOptions(env), poolSize: 2 };
  const db = await openDatabase(env.DATABASE_URL, dbOptions);
  let bus: EventBus = createLocalBus();
  if (db.provider === 'postgresql') {
    // NOTIFY even beside NATS (PORTAL_BUS_URL): every instance still listens there.
    bus = await createPostgresBus({
      connection: pgClientConfig(env.DATABASE_URL, dbOptions),
      pool: db.pool,
      loadMessage: () => Promise.resolve(null),
      onError: () => undefined,
    });
  }
  const core = createCore(db, { bus, config: coreConfig(env) });
  try {
    process.stdout.write(`${await command(core, argv.slice(key.split(' ').length))}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Usage: pnpm portal ${error.message}\n`);
      return 2;
    }
    if (error instanceof AppError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await bus.close();
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`portal: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
