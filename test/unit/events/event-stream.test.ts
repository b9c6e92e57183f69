import { describe, expect, it } from 'vitest';
import { EventStream, MAX_QUEUED_EVENTS } from '../../../src/events/bus.js';

/** The listener registry of one topic, as the bus keeps it (deliver() calls handleEvent on each listener). */
function topic() {
  const listeners = new Set<{ handleEvent(event: CustomEvent): void }>();
  return {
    listeners,
    addEventListener: (_topic: string, listener: unknown) => void listeners.add(listener as { handleEvent(event: CustomEvent): void }),
    removeEventListener: (_topic: string, listener: unknown) => void listeners.delete(listener as { handleEvent(event: CustomEvent): void }),
    deliver(detail: unknown) {
      for (const listener of listeners) listener.handleEvent(new CustomEvent('t', { detail }));
    },
  };
}

describe('subscription event streams', () => {
  it('hands over the accepted events in order, whether the consumer waits or lags', async () => {
    const events = topic();
    const stream = new EventStream<{ n: number; to: string }>(events, 't', (event) => event.to === 'me');
    const first = stream.next();
    events.deliver({ n: 1, to: 'me' });
    events.deliver({ n: 2, to: 'someone else' });
    events.deliver({ n: 3, to: 'me' });
    events.deliver({ n: 4, to: 'me' });
    expect(await first).toEqual({ value: { n: 1, to: 'me' }, done: false });
    expect([(await stream.next()).value?.n, (await stream.next()).value?.n]).toEqual([3, 4]);
    // Two consumers waiting at once are served in the order they asked.
    const [a, b] = [stream.next(), stream.next()];
    events.deliver({ n: 5, to: 'me' });
    events.deliver({ n: 6, to: 'me' });
    expect([(await a).value?.n, (await b).value?.n]).toEqual([5, 6]);
  });

  it('stops listening when the subscriber leaves, and ends a waiting consumer', async () => {
    const events = topic();
    const stream = new EventStream(events, 't', () => true);
    const waiting = stream.next();
    expect(events.listeners.size).toBe(1);
    await stream.return();
    expect(events.listeners.size).toBe(0);
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it(`ends with an error, after what it kept, a subscriber more than ${MAX_QUEUED_EVENTS} events behind`, async () => {
    const events = topic();
    const stream = new EventStream<number>(events, 't', () => true);
    for (let n = 1; n <= MAX_QUEUED_EVENTS + 5; n++) events.deliver(n);
    expect(events.listeners.size).toBe(0);
    const kept: number[] = [];
    for (let i = 0; i < MAX_QUEUED_EVENTS; i++) kept.push((await stream.next()).value as number);
    expect(kept.at(0)).toBe(1);
    expect(kept.at(-1)).toBe(MAX_QUEUED_EVENTS);
    await expect(stream.next()).rejects.toMatchObject({ message: expect.stringMatching(/subscribe again/), extensions: { code: 'EVENTS_DROPPED' } });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
