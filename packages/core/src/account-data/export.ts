import type { Database } from '@portal/db';
import type { TAccountExport } from '@portal/contracts';
import type { Principal } from '../principal.ts';

const iso = (date: Date): string => date.toISOString();

/**
 * Everything Portal holds that is the caller's own (SPEC §10): the person, their
 * sessions, their chats with the messages they sent (never the partner's), and the
 * blocks they made. Chats already purged by retention are gone from here too.
 */
export async function exportPersonData(db: Database, principal: Principal, at: Date): Promise<TAccountExport> {
  const { prisma } = db;
  const person = principal.personKey;

  const account = principal.accountId
    ? await prisma.account.findUnique({
        where: { id: principal.accountId },
        select: { id: true, username: true, plan: true, role: true, createdAt: true },
      })
    : null;
  // A registered person sees every session of the account; a stranger is their one session.
  const sessions = await prisma.session.findMany({
    where: principal.accountId ? { accountId: principal.accountId } : { id: principal.sessionId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, createdAt: true, lastSeenAt: true, userAgent: true, revokedAt: true },
  });
  const own = sessions.find((s) => s.id === principal.sessionId);

  const participations = await prisma.chatParticipant.findMany({
    where: { personKey: person },
    select: {
      chat: {
        select: {
          id: true,
          token: true,
          matchedInterest: true,
          createdAt: true,
          expiresAt: true,
          endedAt: true,
          participants: { select: { personKey: true, accountId: true } },
        },
      },
    },
  });
  const chats = participations.map((p) => p.chat).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const partnerAccounts = chats.flatMap((c) =>
    c.participants.filter((p) => p.personKey !== person && p.accountId).map((p) => p.accountId!),
  );
  const blocks = await prisma.block.findMany({
    where: { blockerKey: person },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    select: { id: true, blockedKey: true, matchedInterest: true, createdAt: true },
  });
  const names = new Map(
    (
      await prisma.account.findMany({
        where: { id: { in: [...new Set([...partnerAccounts, ...blocks.map((b) => b.blockedKey)])] } },
        select: { id: true, username: true },
      })
    ).map((a) => [a.id, a.username]),
  );

  // Only what this person sent: the partner's words are the partner's.
  const messages = await prisma.message.findMany({
    where: { chatId: { in: chats.map((c) => c.id) }, senderKey: person },
    orderBy: { id: 'asc' },
    select: { id: true, chatId: true, text: true, createdAt: true },
  });
  const byChat = new Map<string, typeof messages>();
  for (const m of messages) byChat.set(m.chatId, [...(byChat.get(m.chatId) ?? []), m]);

  return {
    exported_at: iso(at),
    person: account
      ? {
          kind: 'registered',
          account_id: account.id,
          username: account.username,
          plan: account.plan as 'free' | 'premium',
          role: account.role as 'user' | 'moderator',
          created_at: iso(account.createdAt),
        }
      : {
          kind: 'stranger',
          session_id: principal.sessionId,
          plan: 'free',
          role: 'user',
          created_at: iso(own?.createdAt ?? at),
        },
    sessions: sessions.map((s) => ({
      id: s.id,
      current: s.id === principal.sessionId,
      created_at: iso(s.createdAt),
      last_seen_at: iso(s.lastSeenAt),
      user_agent: s.userAgent,
      revoked: s.revokedAt !== null,
      revoked_at: s.revokedAt ? iso(s.revokedAt) : null,
    })),
    chats: chats.map((c) => {
      const partner = c.participants.find((p) => p.personKey !== person);
      const over = c.endedAt ?? (c.expiresAt <= at ? c.expiresAt : null);
      return {
        token: c.token,
        partner: (partner?.accountId && names.get(partner.accountId)) || 'Stranger',
        matched_interest: c.matchedInterest,
        created_at: iso(c.createdAt),
        ended_at: over ? iso(over) : null,
        messages: (byChat.get(c.id) ?? []).map((m) => ({ id: m.id, text: m.text, created_at: iso(m.createdAt) })),
      };
    }),
    blocks: blocks.map((b) => ({
      id: b.id,
      label: names.get(b.blockedKey) ?? 'Stranger',
      matched_interest: b.matchedInterest,
      created_at: iso(b.createdAt),
    })),
  };
}
