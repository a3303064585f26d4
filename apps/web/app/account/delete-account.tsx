'use client';

import type { TSession } from '@portal/contracts';
import { useRouter } from 'next/navigation';
import { useId, useRef, useState, type FormEvent } from 'react';
import { appCodeOf, describeError } from '../../lib/errors.ts';
import { useSessionControl } from '../../lib/session.tsx';
import { trpc } from '../../lib/trpc.ts';
import { useModalDialog } from '../_components/use-modal-dialog.ts';
import { DialogFooter } from '../_components/dialog-footer.tsx';

/** What a stranger types to confirm; a registered person types their username. */
const STRANGER_WORD = 'DELETE';

/** The button, and the dialog where the person confirms by typing, with their password if they have one. */
export function DeleteAccount({ session }: { session: TSession }) {
  const [open, setOpen] = useState(false);
  const registered = session.kind === 'registered';
  return (
    <>
      <p className="muted">
        This ends your search and your chats, erases every message you sent (your partners see each as removed), signs
        out every device{registered ? ' and frees your username' : ''}. It cannot be undone: download your data first if
        you want to keep it.
      </p>
      <button type="button" className="button button-danger" onClick={() => setOpen(true)}>
        Delete {registered ? 'my account' : 'me'}…
      </button>
      {open && <DeleteDialog session={session} onClose={() => setOpen(false)} />}
    </>
  );
}

function describeDeletion(error: unknown): string {
  return appCodeOf(error) === 'ERR_INVALID_CREDENTIALS' ? 'The password is wrong.' : describeError(error);
}

function DeleteDialog({ session, onClose }: { session: TSession; onClose: () => void }) {
  const id = useId();
  const router = useRouter();
  const control = useSessionControl();
  const remove = trpc.account.delete.useMutation();
  const typedRef = useRef<HTMLInputElement>(null);
  const { dialogRef, busy, failure, confirm, close } = useModalDialog(typedRef, describeDeletion);
  const registered = session.kind === 'registered';
  const word = registered ? (session.username ?? '') : STRANGER_WORD;
  const [typed, setTyped] = useState('');
  const [password, setPassword] = useState('');
  const ready = typed === word && (!registered || password !== '');

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    void confirm(async () => {
      // Like a logout: the server ends every session of ours (and our socket), then this tab starts over as a new stranger.
      await control.signOut(() => remove.mutateAsync(registered ? { password } : {}));
      router.push('/');
    });
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-intro`}
      onClose={onClose}
    >
      <h2 id={`${id}-title`}>Delete {registered ? 'your account' : 'you'}?</h2>
      <form onSubmit={submit} noValidate>
        <div id={`${id}-intro`} className="dialog-intro">
          <p>
            Your chats end and every message you sent is erased. This cannot be undone. To confirm, type{' '}
            <code className="mono">{word}</code>
            {registered ? ' and your password' : ''}.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-typed`} className="field-label">
            Type {registered ? 'your username' : STRANGER_WORD}
          </label>
          <input
            ref={typedRef}
            id={`${id}-typed`}
            className="text-input"
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        {registered && (
          <div className="field">
            <label htmlFor={`${id}-password`} className="field-label">
              Password
            </label>
            <input
              id={`${id}-password`}
              className="text-input"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </div>
        )}
        <DialogFooter
          failure={failure}
          close={close}
          confirmLabel={busy ? 'Deleting…' : 'Delete forever'}
          disabled={busy || !ready}
          danger
        />
      </form>
    </dialog>
  );
}
