'use client';

import type { TErrorCode, TMatchState } from '@portal/contracts';
import { checkInterest, checkInterests, matchStateEtag, MAX_INTERESTS } from '@portal/contracts/browser';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import {
  useEffect,
  useEffectEvent,
  useId,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
  type RefObject,
} from 'react';
import { appCodeOf, describeCode } from '../../lib/errors.ts';
import {
  loadLastFallback,
  loadLastInterests,
  noteSearchForReload,
  saveLastFallback,
  saveLastInterests,
  takeSearchAfterReload,
} from '../../lib/last-interests.ts';
import { useMatchAlerts } from '../../lib/match-alerts.tsx';
import { useSocketEvent } from '../../lib/realtime.tsx';
import { fallbackPhase, HOLD_SECONDS, refreshDelay } from '../../lib/search-timing.ts';
import { watchStatus } from '../../lib/status-watch.ts';
import { formatMinutes, useNow } from '../../lib/time.ts';
import { farewellCall, heldCall, trpc } from '../../lib/trpc.ts';
import { AlertSettings } from './alert-settings.tsx';
import { InterestPicker } from './interest-picker.tsx';
import { LiveCounts } from './live-counts.tsx';

interface Search {
  interests: string[];
  startedAt: number;
  /** Queue deadline (ms since epoch), when the server told us. */
  expiresAt: number | null;
  /** When to re-post the same tags (ms since epoch). */
  refreshAt: number;
  /** Whether the server has this search open to anyone after `fallbackAt` (SPEC §9). */
  fallback: boolean;
  fallbackAt: number | null;
}

type View = { kind: 'pick' } | { kind: 'searching'; search: Search } | { kind: 'matched' };

type Failure = TErrorCode | 'network';

const timeOf = (iso: string | undefined): number | null => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? null : ms;
};

/** The state's searching fields as the page keeps them; `startedAt` stays that of the search shown so far. */
function searchOf(state: TMatchState, interests: string[], startedAt: number): Search {
  const expiresAt = timeOf(state.expires_at);
  const now = Date.now();
  return {
    interests: state.interests ?? interests,
    startedAt,
    expiresAt,
    refreshAt: now + refreshDelay(expiresAt === null ? null : expiresAt - now),
    fallback: state.fallback === true,
    fallbackAt: timeOf(state.fallback_at),
  };
}

/**
 * `fallbackSeconds`: the server's MATCH_FALLBACK_SECONDS, for the wording of the
 * "match me with anyone" choice (the countdown itself follows the server's `fallback_at`).
 */
export function MatchFinder({ fallbackSeconds }: { fallbackSeconds: number }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const enqueue = trpc.match.enqueue.useMutation();
  const cancel = trpc.match.cancel.useMutation();
  const alertMatch = useMatchAlerts();
  const inputRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [tags, setTags] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [view, setView] = useState<View>({ kind: 'pick' });
  const [formMessage, setFormMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  /** "Match me with anyone": what the person wants; the search shows what the server has. */
  const [fallback, setFallback] = useState(false);
  const wantsFallback = useRef(false);
  /** The ETag of the latest state this page acted on: the held status request starts from it. */
  const lastEtag = useRef<string | null>(null);
  // Bumped by Start and Cancel: answers to requests from an earlier search are stale.
  const generation = useRef(0);
  const opened = useRef(false);
  // Once the person starts picking, a search found on the server no longer takes over the page.
  const touched = useRef(false);
  const searching = view.kind === 'searching' ? view.search : null;
  const viewRef = useRef(view);
  viewRef.current = view;

  function openChat(token: string, fallbackPair: boolean) {
    if (opened.current) return;
    opened.current = true;
    alertMatch({ fallback: fallbackPair });
    setView({ kind: 'matched' });
    void utils.session.get.invalidate();
    void utils.chat.list.invalidate();
    router.push(`/chat/${encodeURIComponent(token)}`);
  }

  function apply(state: TMatchState, interests: string[]) {
    lastEtag.current = matchStateEtag(state);
    if (state.state === 'matched' && state.token) {
      openChat(state.token, state.fallback === true);
    } else if (state.state === 'searching') {
      setView((current) => ({
        kind: 'searching',
        search: searchOf(state, interests, current.kind === 'searching' ? current.search.startedAt : Date.now()),
      }));
    } else {
      setView({ kind: 'pick' });
    }
  }

  function chooseFallback(next: boolean) {
    setFallback(next);
    wantsFallback.current = next;
    saveLastFallback(next);
  }

  // Pre-fill the last search's choices; start the search again after a reload (leaving the page ended it),
  // or show the search another tab of this session is running.
  const resume = useEffectEvent((interests: string[], withFallback: boolean) => {
    setTags(interests);
    chooseFallback(withFallback);
    void begin(interests);
  });
  useEffect(() => {
    const last = loadLastInterests();
    if (last.length > 0) setTags(last);
    chooseFallback(loadLastFallback());
    const reloaded = takeSearchAfterReload();
    if (reloaded) {
      resume(reloaded.interests, reloaded.fallback);
      return;
    }
    let stale = false;
    const started = generation.current;
    utils.match.status.fetch({}, { staleTime: 0 }).then(
      (status) => {
        if (stale || touched.current || started !== generation.current || status.state !== 'searching') return;
        const interests = status.interests ?? [];
        setTags(interests);
        chooseFallback(status.fallback === true);
        lastEtag.current = matchStateEtag(status);
        setView({ kind: 'searching', search: searchOf(status, interests, Date.now()) });
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

  // One re-post at a time; a change meanwhile (the fallback box) is posted once the one in flight is answered,
  // so the server ends up with the latest choice whatever order answers come in.
  const refreshing = useRef<'no' | 'yes' | 'again'>('no');
  const refresh = useEffectEvent((interests: string[]) => {
    if (refreshing.current !== 'no') {
      refreshing.current = 'again';
      return;
    }
    refreshing.current = 'yes';
    const started = generation.current;
    void enqueue
      .mutateAsync({ interests, fallback: wantsFallback.current })
      .then(
        (state) => {
          if (started === generation.current) apply(state, interests);
          else if (state.state === 'matched' && state.token) openChat(state.token, state.fallback === true);
          // A refresh that outlived a Cancel revived the old search: drop it, unless a new search is running now.
          else if (state.state === 'searching' && viewRef.current.kind !== 'searching') cancel.mutate({});
        },
        (error: unknown) => {
          // A network failure or a rate limit is retried by the next refresh; any other ERR_ answer ends the search.
          const code = appCodeOf(error);
          if (started !== generation.current || !code || code === 'ERR_RATE_LIMITED') return;
          setView({ kind: 'pick' });
          setFailure(code);
        },
      )
      .finally(() => {
        const again = refreshing.current === 'again';
        refreshing.current = 'no';
        const current = viewRef.current;
        if (again && started === generation.current && current.kind === 'searching') refresh(current.search.interests);
      });
  });

  // Keep the queue entry alive: re-post the same tags a while before the deadline.
  useEffect(() => {
    if (!searching) return;
    const timer = setTimeout(() => refresh(searching.interests), Math.max(0, searching.refreshAt - Date.now()));
    return () => clearTimeout(timer);
  }, [searching]);

  const onStatus = useEffectEvent((status: TMatchState, started: number) => {
    if (started !== generation.current || view.kind !== 'searching') return;
    lastEtag.current = matchStateEtag(status);
    if (status.state === 'matched' && status.token) {
      openChat(status.token, status.fallback === true);
    } else if (status.state === 'idle') {
      // The entry is gone though this page still searches: it lapsed (a sleeping tab missed its refresh), the
      // server dropped it while the socket was away, or the page came back from the back/forward cache after
      // its pagehide cancel. Queue again with the same tags.
      refresh(view.search.interests);
    } else {
      const next = searchOf(status, view.search.interests, view.search.startedAt);
      const current = view.search;
      if (
        next.expiresAt !== current.expiresAt ||
        next.fallback !== current.fallback ||
        next.fallbackAt !== current.fallbackAt
      ) {
        setView({ kind: 'searching', search: next });
      }
      // A background tab's timer may be held back; the answers are not. (A new deadline means a re-post just
      // happened, its answer perhaps still on the way.)
      if (Date.now() >= current.refreshAt && next.expiresAt === current.expiresAt) refresh(current.interests);
    }
  });

  // Held status requests, re-armed after every answer: a match (or a lapse) shows within the server's hold,
  // alongside the socket's `matched` push. Sent alone, never in a batch (see lib/trpc.ts).
  useEffect(() => {
    if (!isSearching) return;
    const started = generation.current;
    const watch = watchStatus<TMatchState>({
      request: (etag, signal) =>
        utils.client.match.status.query({ wait: HOLD_SECONDS }, { signal, context: heldCall(etag) }),
      etagOf: matchStateEtag,
      initialEtag: lastEtag.current,
      onState: (status) => onStatus(status, started),
    });
    return () => watch.stop();
  }, [isSearching, utils]);

  // Closing the page, or leaving it for another site, ends the search: nobody would see the match (SPEC §9).
  // The server's presence grace would too, later; this says so at once, in a request that outlives the page.
  const leavePage = useEffectEvent(() => {
    if (view.kind !== 'searching') return;
    noteSearchForReload(view.search.interests, wantsFallback.current);
    utils.client.match.cancel.mutate({}, { context: farewellCall() }).catch(() => undefined);
  });
  useEffect(() => {
    if (!isSearching) return;
    const onPageHide = () => leavePage();
    window.addEventListener('pagehide', onPageHide);
    return () => window.removeEventListener('pagehide', onPageHide);
  }, [isSearching]);

  // Leaving the searching view (another page of the app) leaves the queue: nobody would see the match.
  useEffect(
    () => () => {
      if (viewRef.current.kind === 'searching') cancel.mutate({});
    },
    [],
  );

  useSocketEvent((event) => {
    if (event.type !== 'matched' || view.kind !== 'searching') return;
    if (event.match.state === 'matched' && event.match.token)
      openChat(event.match.token, event.match.fallback === true);
  });

  async function start(event?: FormEvent) {
    event?.preventDefault();
    touched.current = true;
    if (enqueue.isPending) return;
    let next = tags;
    const typed = draft.trim().toLowerCase();
    if (typed !== '') {
      // A valid tag still in the input counts; an invalid one is already explained under the input.
      if (!checkInterest(typed).ok) {
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
    const parsed = checkInterests(next);
    if (!parsed.ok) {
      setFormMessage(parsed.message);
      inputRef.current?.focus();
      return;
    }
    setFormMessage(null);
    await begin(parsed.value);
  }

  async function begin(interests: string[]) {
    setFailure(null);
    saveLastInterests(interests);
    generation.current += 1;
    const started = generation.current;
    const input = { interests, fallback: wantsFallback.current };
    try {
      let state: TMatchState;
      try {
        state = await enqueue.mutateAsync(input);
      } catch (error) {
        // Start means "search with these tags now": an older search of this session (another tab,
        // a page left mid-search) gives way to it.
        if (appCodeOf(error) !== 'ERR_MATCH_ALREADY_SEARCHING') throw error;
        await cancel.mutateAsync({});
        state = await enqueue.mutateAsync(input);
      }
      if (started === generation.current) apply(state, interests);
    } catch (error) {
      if (started === generation.current) setFailure(appCodeOf(error) ?? 'network');
    }
  }

  /** Ticking or clearing the box while searching re-posts the same tags with it (still a refresh, SPEC §9). */
  function changeFallback(next: boolean) {
    chooseFallback(next);
    if (searching) refresh(searching.interests);
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

  // Announced by the layout's live region (MatchAnnouncer), so screen readers hear it once.
  if (view.kind === 'matched') return <p className="callout">Matched! Opening your chat…</p>;

  const fallbackChoice = <FallbackChoice seconds={fallbackSeconds} checked={fallback} onChange={changeFallback} />;

  if (view.kind === 'searching') {
    return (
      <SearchingView
        search={view.search}
        headingRef={headingRef}
        onCancel={() => void stopSearching()}
        notice={failureNotice}
        options={fallbackChoice}
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
      {fallbackChoice}
      {failureNotice}
      <button type="submit" className="button button-primary button-large" disabled={enqueue.isPending}>
        Start
      </button>
    </form>
  );
}

function FallbackChoice({
  seconds,
  checked,
  onChange,
}: {
  seconds: number;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="fallback-choice">
      <label className="checkbox">
        <input
          type="checkbox"
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          aria-describedby={`${id}-help`}
          data-testid="fallback-choice"
        />
        If nobody shares my interests after {seconds} s, match me with anyone
      </label>
      <p id={`${id}-help`} className="field-help">
        Anyone who chose this too. Someone who shares an interest is still matched first.
      </p>
    </div>
  );
}

function SearchingView({
  search,
  headingRef,
  onCancel,
  notice,
  options,
}: {
  search: Search;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onCancel: () => void;
  notice: ReactNode;
  options: ReactNode;
}) {
  const now = useNow();
  const phase = fallbackPhase(search.fallback, search.fallbackAt, now);
  return (
    <section className="searching" data-testid="searching" aria-labelledby="searching-title">
      <div className="pulse" aria-hidden="true" />
      <h2 id="searching-title" ref={headingRef} tabIndex={-1}>
        Looking for a partner…
      </h2>
      {/* Changes once when the search opens to anyone: announced then, not every second. */}
      <p role="status">
        {phase.kind === 'open'
          ? `Waiting for someone who also likes ${listOf(search.interests)}, or anyone who is open to a new match.`
          : `Waiting for someone who also likes ${listOf(search.interests)}.`}
      </p>
      <ul className="chips chips-center" aria-label="Your interests">
        {search.interests.map((tag) => (
          <li key={tag} className="chip">
            {tag}
          </li>
        ))}
      </ul>
      <LiveCounts tags={search.interests} />
      <p className="elapsed">
        Searching for{' '}
        <span role="timer" data-testid="elapsed">
          {formatMinutes(now === null ? 0 : now - search.startedAt)}
        </span>
      </p>
      {phase.kind === 'waiting' && (
        <p className="fallback-status" data-testid="fallback-status">
          Open to anyone in{' '}
          <span role="timer" data-testid="fallback-countdown">
            {formatMinutes(phase.leftMs + 999)}
          </span>
        </p>
      )}
      {phase.kind === 'open' && (
        <p className="fallback-status" data-testid="fallback-status">
          Now open to anyone
        </p>
      )}
      {notice}
      <div className="searching-options">
        {options}
        <AlertSettings />
      </div>
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
