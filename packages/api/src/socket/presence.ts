/** A person's sockets in a chat went from none to some (`joined`) or from some to none (`left`), over every instance. */
export type PresenceChange = 'joined' | 'left';

/** What one instance said last about one person in one chat. */
interface Entry {
  sockets: number;
  seq: number;
  /** When it was said: an entry at 0 is kept a while, so that an older event arriving late is known as older. */
  at: number;
}

interface InstanceRecord {
  /** When this instance was last heard from (its beat, or any presence event). */
  heardAt: number;
  /** chat → person → what the instance said last. */
  chats: Map<string, Map<string, Entry>>;
}

/** How long an entry at 0 sockets is kept: far longer than any two events of one instance can cross. */
const SETTLED_MS = 60_000;

/**
 * Who has sockets in which chat, over every instance, kept from `presence` events:
 * each says how many sockets one instance has of one person in one chat now, with
 * that instance's sequence number, so the bus may deliver them out of order. Kept
 * per instance, so that an instance that stops beating (killed with SIGKILL, cut
 * off) is forgotten whole, and its people shown offline (SPEC §12).
 */
export class PresenceBook {
  readonly #instances = new Map<string, InstanceRecord>();

  /** Open sockets of `person` in `chat`, over every instance. */
  count(chat: string, person: string): number {
    let sockets = 0;
    for (const record of this.#instances.values()) sockets += record.chats.get(chat)?.get(person)?.sockets ?? 0;
    return sockets;
  }

  /**
   * `instance` has `sockets` of `person` in `chat` (its event number `seq`). Says
   * whether the person went online or offline in the chat over every instance.
   */
  apply(
    instance: string,
    chat: string,
    person: string,
    sockets: number,
    seq: number,
    now: number,
  ): PresenceChange | undefined {
    const record = this.#heard(instance, now);
    const people = record.chats.get(chat) ?? new Map<string, Entry>();
    const entry = people.get(person);
    if (entry && entry.seq >= seq) return undefined;
    const before = this.count(chat, person);
    people.set(person, { sockets, seq, at: now });
    record.chats.set(chat, people);
    const after = before - (entry?.sockets ?? 0) + sockets;
    if ((before === 0) === (after === 0)) return undefined;
    return after > 0 ? 'joined' : 'left';
  }

  /** The instance is alive (its beat). */
  beat(instance: string, now: number): void {
    this.#heard(instance, now);
  }

  /**
   * Forgets every instance not heard from since `cutoff`, with everything it held,
   * and returns who went offline because of it. Drops entries at 0 sockets that
   * have settled.
   */
  sweep(cutoff: number, now: number): Array<{ chat: string; person: string }> {
    const gone: Array<{ chat: string; person: string }> = [];
    for (const [instance, record] of [...this.#instances]) {
      if (record.heardAt >= cutoff) {
        this.#dropSettled(record, now);
        continue;
      }
      this.#instances.delete(instance);
      for (const [chat, people] of record.chats) {
        for (const [person, entry] of people) {
          if (entry.sockets > 0 && this.count(chat, person) === 0) gone.push({ chat, person });
        }
      }
    }
    return gone;
  }

  clear(): void {
    this.#instances.clear();
  }

  #dropSettled(record: InstanceRecord, now: number): void {
    for (const [chat, people] of record.chats) {
      for (const [person, entry] of people) {
        if (entry.sockets === 0 && now - entry.at > SETTLED_MS) people.delete(person);
      }
      if (people.size === 0) record.chats.delete(chat);
    }
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
