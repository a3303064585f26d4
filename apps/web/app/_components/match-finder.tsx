'use client';

import { MAX_INTERESTS, ZInterest, ZInterests, type TErrorCode, type TMatchState } from '@portal/contracts';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useEffectEvent, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import { appCodeOf, describeCode } from '../../lib/errors.ts';
import { loadLastInterests, saveLastInterests } from '../../lib/last-interests.ts';
import { useSocketEvent } from '../../lib/realtime.tsx';
import { formatMinutes, useNow } from '../../lib/time.ts';
import { trpc } from '../../lib/trpc.ts';
import { InterestPicker } from './interest-picker.tsx';

/** Re-post the same tags this often while searching, and at the latest this long before the deadline. */
const REFRESH_EVERY_MS = 45_000;
const REFRESH_LEAD_MS = 15_000;
/** Fallback for the socket's `matched` push. */
const POLL_MS = 2_000;

interface Search {
  interests: string[];
  startedAt: number;
  /** Queue deadline (ms since epoch), when the server told us. */
  expiresAt: number | null;
}

type View = { kind: 'pick' } | { kind: 'searching'; search: Search } | { kind: 'matched' };

type Failure = TErrorCode | 'network';

const timeOf = (iso: string | undefined): number | null => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? null : ms;
};

export function MatchFinder() {
  const router = useRouter();
  const utils = trpc.useUtils();
  const enqueue = trpc.match.enqueue.useMutation();
  const cancel = trpc.match.cancel.useMutation();
  const inputRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [tags, setTags] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [view, setView] = useState<View>({ kind: 'pick' });
  const [formMessage, setFormMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  // Bumped by Start and Cancel: answers to requests from an earlier search are stale.
  const generation = useRef(0);
  const opened = useRef(false);
  // Once the person starts picking, a search found on the server no longer takes over the page.
  const touched = useRef(false);
  const searching = view.kind === 'searching' ? view.search : null;

  function openChat(token: string) {
    if (opened.current) return;
    opened.current = true;
    setView({ kind: 'matched' });
    void utils.session.get.invalidate();
    void utils.chat.list.invalidate();
    router.push(`/chat/${encodeURIComponent(token)}`);
  }

  function apply(state: TMatchState, interests: string[]) {
    if (state.state === 'matched' && state.token) {
      openChat(state.token);
    } else if (state.state === 'searching') {
      setView((current) => ({
        kind: 'searching',
        search: {
          interests: state.interests ?? interests,
          startedAt: current.kind === 'searching' ? current.search.startedAt : Date.now(),
          expiresAt: timeOf(state.expires_at),
        },
      }));
    } else {
      setView({ kind: 'pick' });
    }
  }

  // Pre-fill the last search's tags, and pick a search back up after a reload.
  useEffect(() => {
    const last = loadLastInterests();
    if (last.length > 0) setTags(last);
    let stale = false;
    const started = generation.current;
    utils.match.status.fetch({}, { staleTime: 0 }).then(
      (status) => {
        if (stale || touched.current || started !== generation.current || status.state !== 'searching') return;
        const interests = status.interests ?? [];
        setTags(interests);
        setView({
          kind: 'searching',
          search: { interests, startedAt: Date.now(), expiresAt: timeOf(status.expires_at) },
        });
      },
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [utils]);

  // On a phone the explanation can land below the fold.
  const failureRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (failure) failureRef.current?.scrollIntoView({ block: 'nearest' });
  }, [failure]);

  // Focus follows the view, so keyboard and screen reader users are not left on a removed button.
  const isSearching = searching !== null;
  const wasSearching = useRef(false);
  useEffect(() => {
    if (isSearching) headingRef.current?.focus();
    else if (wasSearching.current) inputRef.current?.focus();
    wasSearching.current = isSearching;
  }, [isSearching]);

  const refresh = useEffectEvent((interests: string[]) => {
    const started = generation.current;
    enqueue.mutateAsync({ interests }).then(
      (state) => {
        if (started === generation.current) apply(state, interests);
        else if (state.state === 'matched' && state.token) openChat(state.token);
        // A refresh that outlived a Cancel revived the old search: drop it, unless a new search is running now.
        else if (state.state === 'searching' && searching === null) cancel.mutate({});
      },
      (error: unknown) => {
        // A network failure is retried by the next refresh or poll; an ERR_ answer ends the search.
        if (started !== generation.current || !appCodeOf(error)) return;
        setView({ kind: 'pick' });
        setFailure(appCodeOf(error) ?? 'network');
      },
    );
  });

  // Keep the queue entry alive: re-post the same tags a little before the deadline.
  useEffect(() => {
    if (!searching) return;
    const left = searching.expiresAt === null ? Infinity : searching.expiresAt - Date.now();
    // A short queue TTL (tests, tuned deployments) gets refreshed halfway instead of every second.
    const due = left > 2 * REFRESH_LEAD_MS ? left - REFRESH_LEAD_MS : left / 2;
    const timer = setTimeout(() => refresh(searching.interests), Math.max(1_000, Math.min(REFRESH_EVERY_MS, due)));
    return () => clearTimeout(timer);
  }, [searching]);

  const onStatus = useEffectEvent((status: TMatchState, started: number) => {
    if (started !== generation.current || view.kind !== 'searching') return;
    if (status.state === 'matched' && status.token) {
      openChat(status.token);
    } else if (status.state === 'idle') {
      // The entry lapsed (a sleeping tab misses its refresh): queue again with the same tags.
      refresh(view.search.interests);
    } else {
      const expiresAt = timeOf(status.expires_at);
      if (expiresAt !== view.search.expiresAt) {
        setView({ kind: 'searching', search: { ...view.search, expiresAt } });
      }
    }
  });

  // Poll as a fallback for the socket's `matched` push.
  useEffect(() => {
    if (!isSearching) return;
    const timer = setInterval(() => {
      const started = generation.current;
      utils.match.status.fetch({}, { staleTime: 0 }).then(
        (status) => onStatus(status, started),
        () => undefined,
      );
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [isSearching, utils]);

  // Leaving the searching view (another page of the app) leaves the queue: nobody would see the match.
  const viewRef = useRef(view);
  viewRef.current = view;
  useEffect(
    () => () => {
      if (viewRef.current.kind === 'searching') cancel.mutate({});
    },
    [],
  );

  useSocketEvent((event) => {
    if (event.type !== 'matched' || view.kind !== 'searching') return;
    if (event.match.state === 'matched' && event.match.token) openChat(event.match.token);
  });

  async function start(event?: FormEvent) {
    event?.preventDefault();
    touched.current = true;
    if (enqueue.isPending) return;
    let next = tags;
    const typed = draft.trim().toLowerCase();
    if (typed !== '') {
      // A valid tag still in the input counts; an invalid one is already explained under the input.
      if (!ZInterest.safeParse(typed).success) {
        inputRef.current?.focus();
        return;
      }
      if (!next.includes(typed)) {
        if (next.length >= MAX_INTERESTS) {
          setFormMessage(`You can pick up to ${MAX_INTERESTS} interests. Remove one to add another.`);
          return;
        }
        next = [...next, typed];
      }
      setTags(next);
      setDraft('');
    }
    const parsed = ZInterests.safeParse(next);
    if (!parsed.success) {
      setFormMessage(parsed.error.issues[0]?.message ?? 'Pick one to three interests.');
      inputRef.current?.focus();
      return;
    }
    const interests = parsed.data;
    setFormMessage(null);
    setFailure(null);
    saveLastInterests(interests);
    generation.current += 1;
    const started = generation.current;
    try {
      let state: TMatchState;
      try {
        state = await enqueue.mutateAsync({ interests });
      } catch (error) {
        // Start means "search with these tags now": an older search of this session (another tab,
        // a page left mid-search) gives way to it.
        if (appCodeOf(error) !== 'ERR_MATCH_ALREADY_SEARCHING') throw error;
        await cancel.mutateAsync({});
        state = await enqueue.mutateAsync({ interests });
      }
      if (started === generation.current) apply(state, interests);
    } catch (error) {
      if (started === generation.current) setFailure(appCodeOf(error) ?? 'network');
    }
  }

  async function stopSearching() {
    generation.current += 1;
    setView({ kind: 'pick' });
    try {
      await cancel.mutateAsync({});
    } catch (error) {
      setFailure(appCodeOf(error) ?? 'network');
    }
  }

  async function stopOtherSearch() {
    try {
      await cancel.mutateAsync({});
      setFailure(null);
    } catch (error) {
      setFailure(appCodeOf(error) ?? 'network');
    }
  }

  const failureNotice = failure && (
    <div ref={failureRef} role="alert" className="callout callout-error" data-testid="match-error">
      <p>
        {failure === 'network'
          ? 'Could not reach the server. Check your connection and try again.'
          : describeCode(failure)}
      </p>
      {failure === 'ERR_MATCH_SLOT_LIMIT' && (
        <p>
          <Link href="/chats">Open My chats</Link> to end one.
        </p>
      )}
      {failure === 'ERR_MATCH_ALREADY_SEARCHING' && (
        <button type="button" className="button" onClick={() => void stopOtherSearch()} disabled={cancel.isPending}>
          Stop that search
        </button>
      )}
    </div>
  );

  if (view.kind === 'matched') {
    return (
      <p role="status" className="callout">
        Matched! Opening your chat…
      </p>
    );
  }

  if (view.kind === 'searching') {
    return (
      <SearchingView
        search={view.search}
        headingRef={headingRef}
        onCancel={() => void stopSearching()}
        notice={failureNotice}
      />
    );
  }

  return (
    <form
      className="finder"
      onSubmit={(event) => void start(event)}
      onInput={() => (touched.current = true)}
      onClick={() => (touched.current = true)}
      noValidate
      aria-label="Find a partner"
    >
      <InterestPicker
        tags={tags}
        onChange={(next) => {
          setTags(next);
          setFormMessage(null);
        }}
        draft={draft}
        onDraftChange={setDraft}
        onSubmitRequest={() => void start()}
        message={formMessage}
        inputRef={inputRef}
      />
      {failureNotice}
      <button type="submit" className="button button-primary button-large" disabled={enqueue.isPending}>
        Start
      </button>
    </form>
  );
}

function SearchingView({
  search,
  headingRef,
  onCancel,
  notice,
}: {
  search: Search;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onCancel: () => void;
  notice: ReactNode;
}) {
  const now = useNow();
  return (
    <section className="searching" data-testid="searching" aria-labelledby="searching-title">
      <div className="pulse" aria-hidden="true" />
      <h2 id="searching-title" ref={headingRef} tabIndex={-1}>
        Looking for a partner…
      </h2>
      <p role="status">Waiting for someone who also likes {listOf(search.interests)}.</p>
      <ul className="chips chips-center" aria-label="Your interests">
        {search.interests.map((tag) => (
          <li key={tag} className="chip">
            {tag}
          </li>
        ))}
      </ul>
      <p className="elapsed">
        Searching for{' '}
        <span role="timer" data-testid="elapsed">
          {formatMinutes(now === null ? 0 : now - search.startedAt)}
        </span>
      </p>
      {notice}
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}

function listOf(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}
