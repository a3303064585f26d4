import { router } from '../../trpc.ts';
import { deleteAccount } from './delete-account.ts';
import { exportAccount } from './export-account.ts';

export const accountRouter = router({
  export: exportAccount,
  delete: deleteAccount,
});
