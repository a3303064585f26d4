'use client';

import type { TBlock } from '@portal/contracts';
import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { trpc } from '../../lib/trpc.ts';
import { LocalTime } from '../_components/local-time.tsx';
import { MatchedOn, matchedText } from '../_components/matched-on.tsx';
import { QueryStatus } from '../_components/query-status.tsx';

/** `headingLevel`: each block's title, one below the heading of the section the list is in. */
export function BlockList({ headingLevel = 2 }: { headingLevel?: 2 | 3 }) {
  const list = trpc.blocks.list.useQuery({});

  if (list.isPending || list.isError) return <QueryStatus query={list} what="your blocks" />;
  if (list.data.blocks.length === 0) {
    return (
      <div className="callout" data-testid="no-blocks">
        <p>You have not blocked anyone.</p>
      </div>
    );
  }
  return (
    <ul className="chat-list">
      {list.data.blocks.map((block) => (
        <BlockItem key={block.id} block={block} headingLevel={headingLevel} />
      ))}
    </ul>
  );
}

function BlockItem({ block, headingLevel }: { block: TBlock; headingLevel: 2 | 3 }) {
  const Heading = headingLevel === 3 ? 'h3' : 'h2';
  const utils = trpc.useUtils();
  const lift = trpc.blocks.lift.useMutation();
  const [failure, setFailure] = useState<string | null>(null);

  async function unblock() {
    setFailure(null);
    try {
      await lift.mutateAsync({ id: block.id });
      await utils.blocks.list.invalidate();
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  return (
    <li className="chat-card" data-testid="block-item">
      <Heading className="chat-card-title">{block.label}</Heading>
      <p className="chat-card-meta">
        <MatchedOn interest={block.matched_interest} />, blocked <LocalTime iso={block.created_at} />
      </p>
      <button type="button" className="button button-small" onClick={() => void unblock()} disabled={lift.isPending}>
        Unblock
        <span className="sr-only">
          {' '}
          {block.label}, {matchedText(block.matched_interest)}
        </span>
      </button>
      {failure && (
        <p role="alert" className="field-message">
          {failure}
        </p>
      )}
    </li>
  );
}
