import type { Database } from '@portal/db';
import { AppError } from '@portal/contracts';
import { verifyPassword } from '../accounts/passwords.ts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { announce, lockPerson, withdraw } from '../sessions/withdraw.ts';

/**
 * Deletes a person (SPEC §10): their search ends, their chats end, the text of every
 * message they sent is erased (the rows stay, marked deleted, so the partner's log
 * keeps its shape), the blocks they made go, and the account (with every session) or
 * the stranger session is deleted, which frees the username. One transaction under
 * the person lock that portal_enqueue takes: a racing enqueue either finished first
 * (and is undone here) or re-reads the session after this commits and is refused. A
 * racing message waits on the chat row this ends (see ChatService.send) and is then
 * refused, or was stored first and is erased here.
 *
 * Kept on purpose: reports about the person (their excerpts are copies, for
 * moderators, until report retention ends), the audit trail, and blocks other
 * people made on the person (those are the blockers' own list; they name an id
 * nobody can hold again).
 */
export async function deletePerson(
  db: Database,
  bus: EventBus,
  principal: Principal,
  password: string | undefined,
  at: Date,
): Promise<void> {
  const { prisma } = db;
  const person = principal.personKey;
  if (principal.accountId) {
    if (password === undefined) throw new AppError('ERR_BAD_REQUEST', 'Confirm the deletion with your password.');
    const account = await prisma.account.findUnique({
      where: { id: principal.accountId },
      select: { passwordHash: true },
    });
    if (!account) throw new AppError('ERR_UNAUTHENTICATED');
    if (!(await verifyPassword(password, account.passwordHash))) throw new AppError('ERR_INVALID_CREDENTIALS');
  }

  const outcome = await prisma.$transaction(async (tx) => {
    await lockPerson(db, tx, person);
    // Read again under the lock: a deletion, logout or revocation that committed
    // since this request authenticated wins.
    const sessions = principal.accountId
      ? await tx.session.findMany({ where: { accountId: principal.accountId }, select: { id: true } })
      : await tx.session.findMany({ where: { id: principal.sessionId, revokedAt: null }, select: { id: true } });
    const live = principal.accountId
      ? (await tx.account.count({ where: { id: principal.accountId } })) === 1
      : sessions.length === 1;
    if (!live) throw new AppError('ERR_UNAUTHENTICATED');

    // Ends the chats first: that update holds each chat row until the commit, which
    // is what a racing message insert waits on.
    const withdrawn = await withdraw(db, tx, {
      person,
      sessions: 'all',
      endChats: { by: person, reason: 'ended' },
      at,
    });
    const chats = await tx.chatParticipant.findMany({
      where: { personKey: person },
      select: { chatId: true, chat: { select: { token: true } } },
    });
    // Two statements over the (chat_id, id) index, not one per chat.
    const theirs = { chatId: { in: chats.map((c) => c.chatId) }, senderKey: person, deletedAt: null };
    const sentIn = await tx.message.findMany({ where: theirs, select: { chatId: true }, distinct: ['chatId'] });
    await tx.message.updateMany({ where: theirs, data: { text: '', clientId: null, deletedAt: at } });
    const touched = new Set(sentIn.map((m) => m.chatId));
    const erased = chats.filter((c) => touched.has(c.chatId)).map((c) => c.chat.token);
    await tx.block.deleteMany({ where: { blockerKey: person } });
    // "Popular now" keeps who searched a tag for an hour; no index on the person: a deletion is rare, the table small.
    await tx.popularSearch.deleteMany({ where: { personKey: person } });
    // The account's sessions (and their queue entries) go with it by cascade.
    if (principal.accountId) await tx.account.delete({ where: { id: principal.accountId } });
    else await tx.session.delete({ where: { id: principal.sessionId } });
    return { withdrawn, erased, sessions: sessions.map((s) => s.id) };
  });

  for (const chat of outcome.erased) await bus.publish({ type: 'messages_removed', chat, sender: person });
  await announce(bus, outcome.withdrawn, { sessions: outcome.sessions, person, error: 'ERR_UNAUTHENTICATED' });
}
