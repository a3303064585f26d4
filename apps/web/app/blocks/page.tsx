import { redirect } from 'next/navigation';

/** Blocks moved to the account page (with the sessions, the password and the data); old links still land there. */
export default function BlocksPage() {
  redirect('/account#blocks');
}
