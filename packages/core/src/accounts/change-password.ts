import type { Database } from '@portal/db';
import { AppError } from '@portal/contracts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { announceRevoked, revokeOthersInside } from '../sessions/manage.ts';
import { lockPerson } from '../sessions/withdraw.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export interface PasswordService {
  /**
   * Replaces the account's password and revokes every other session of it (their
   * sockets close with 4401). ERR_FORBIDDEN for a stranger (no password to change),
   * ERR_INVALID_CREDENTIALS when `current` is wrong.
   */
  change(caller: Principal, current: string, next: string): Promise<void>;
}

export function createPasswordService(db: Database, now: () => number, bus: EventBus): PasswordService {
  const { prisma } = db;
  return {
    async change(caller, current, next) {
      const accountId = caller.accountId;
      if (!accountId) throw new AppError('ERR_FORBIDDEN', 'A stranger has no password: register to set one.');
      const account = await prisma.account.findUnique({ where: { id: accountId }, select: { passwordHash: true } });
      if (!account || !(await verifyPassword(current, account.passwordHash))) {
        throw new AppError('ERR_INVALID_CREDENTIALS', 'The current password is wrong.');
      }
      const passwordHash = await hashPassword(next);
      const at = new Date(now());
      const { sessions, withdrawn } = await prisma.$transaction(async (tx) => {
        await lockPerson(db, tx, accountId);
        // A session revoked while the hashes ran may not set a password.
        const self = await tx.session.findUnique({ where: { id: caller.sessionId }, select: { revokedAt: true } });
        if (!self || self.revokedAt) throw new AppError('ERR_UNAUTHENTICATED');
        // Only over the hash that was verified: of two changes at once, the second fails.
        const { count } = await tx.account.updateMany({
          where: { id: accountId, passwordHash: account.passwordHash },
          data: { passwordHash },
        });
        if (count === 0) throw new AppError('ERR_INVALID_CREDENTIALS', 'The current password is wrong.');
        return revokeOthersInside(db, tx, accountId, caller.sessionId, at);
      });
      await announceRevoked(bus, sessions, withdrawn);
    },
  };
}
