/** A person's sockets in a chat went from none to some (`joined`) or from some to none (`left`), over every instance. */
export type PresenceChange = 'joined' | 'left';

interface InstanceRecord {
  /** When this instance was last heard from (its beat, or any presence event). */
  heardAt: number;
  /** chat → person → open sockets in that chat on this instance. */
  chats: Map<string, Map<string, number>>;
}

/**
 * Who has sockets in which chat, over every instance, kept from `presence` events.
 * Counted per instance, so that an instance that stops beating (killed with SIGKILL,
 * cut off) is forgotten whole, and its people shown offline (SPEC §12).
 */
export class PresenceBook {
  readonly #instances = new Map<string, InstanceRecord>();

  /** Open sockets of `person` in `chat`, over every instance. */
  count(chat: string, person: string): number {
    let sockets = 0;
    for (const record of this.#instances.values()) sockets += record.chats.get(chat)?.get(person) ?? 0;
    return sockets;
  }

  /**
   * One instance's sockets of `person` in `chat` changed by `delta`, or are now
   * `count` (a statement of what that instance holds). Says whether the person went
   * online or offline in the chat over every instance.
   */
  apply(
    instance: string,
    chat: string,
    person: string,
    change: { delta: number } | { count: number },
    now: number,
  ): PresenceChange | undefined {
    const record = this.#heard(instance, now);
    const before = this.count(chat, person);
    const people = record.chats.get(chat) ?? new Map<string, number>();
    const mine = people.get(person) ?? 0;
    const next = Math.max(0, 'delta' in change ? mine + change.delta : change.count);
    if (next === 0) people.delete(person);
    else people.set(person, next);
    if (people.size === 0) record.chats.delete(chat);
    else record.chats.set(chat, people);
    const after = before - mine + next;
    if ((before === 0) === (after === 0)) return undefined;
    return after > 0 ? 'joined' : 'left';
  }

  /** The instance is alive (its beat). */
  beat(instance: string, now: number): void {
    this.#heard(instance, now);
  }

  /**
   * Forgets every instance not heard from since `cutoff`, with everything it held;
   * returns who went offline because of it.
   */
  forgetSilent(cutoff: number): Array<{ chat: string; person: string }> {
    const silent = [...this.#instances].filter(([, record]) => record.heardAt < cutoff);
    const gone: Array<{ chat: string; person: string }> = [];
    for (const [instance, record] of silent) {
      this.#instances.delete(instance);
      for (const [chat, people] of record.chats) {
        for (const person of people.keys()) if (this.count(chat, person) === 0) gone.push({ chat, person });
      }
    }
    return gone;
  }

  clear(): void {
    this.#instances.clear();
  }

  #heard(instance: string, now: number): InstanceRecord {
    let record = this.#instances.get(instance);
    if (!record) {
      record = { heardAt: now, chats: new Map() };
      this.#instances.set(instance, record);
    }
    record.heardAt = now;
    return record;
  }
}
