import { RequireSession } from '../lib/session.tsx';
import { MatchFinder } from './_components/match-finder.tsx';

export default function HomePage() {
  return (
    <div className="home">
      <h1>Find a partner</h1>
      <p className="lede">
        Pick one to three interests. Whoever has waited longest on one of them becomes your partner, and the two of you
        get a private chat for 24 hours. No sign-up needed.
      </p>
      <RequireSession>
        <MatchFinder />
      </RequireSession>
    </div>
  );
}
