import { router } from '../../trpc.ts';
import { changePassword } from './change-password.ts';
import { listSessions } from './list-sessions.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { register } from './register.ts';
import { revokeOtherSessions } from './revoke-other-sessions.ts';
import { revokeSession } from './revoke-session.ts';

export const authRouter = router({
  register,
  login,
  logout,
  sessions: listSessions,
  revokeSession,
  revokeOtherSessions,
  changePassword,
});
