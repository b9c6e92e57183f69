import { describe, expect, it } from 'vitest';
import { EventStream, listenersOf, MAX_QUEUED_EVENTS } from '../../../src/events/bus.js';

type Handler = { handleEvent(event: CustomEvent): void };

/** A listener registry as the bus keeps it, and its delivery: to the listeners of the topic and of the event's audience keys (`listenersOf`). */
function topic() {
  const byTopic = new Map<string, Set<Handler>>();
  const registry = {
    get listeners(): Set<Handler> {
      return new Set([...byTopic.values()].flatMap((set) => [...set]));
    },
    addEventListener(name: string, listener: unknown) {
      byTopic.set(name, (byTopic.get(name) ?? new Set()).add(listener as Handler));
    },
    removeEventListener(name: string, listener: unknown) {
      byTopic.get(name)?.delete(listener as Handler);
      if (byTopic.get(name)?.size === 0) byTopic.delete(name);
    },
    deliver(detail: unknown) {
      const event = new CustomEvent('t', { detail });
      for (const listeners of listenersOf(byTopic as never, 't', detail)) for (const listener of listeners as Set<Handler>) listener.handleEvent(event);
    },
  };
  return registry;
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

  it('with audience keys, takes only the events naming one of them, once each', async () => {
    const events = topic();
    const agent = new EventStream<{ n: number; audience: string[] }>(events, 't', () => true, ['queue', 'user:a']);
    const manager = new EventStream<{ n: number; audience: string[] }>(events, 't', () => true);
    events.deliver({ n: 1, audience: ['user:b'] });
    events.deliver({ n: 2, audience: ['user:a'] });
    events.deliver({ n: 3, audience: ['queue', 'user:a'] });
    events.deliver({ n: 4, audience: ['queue'] });
    const take = async (stream: EventStream<{ n: number; audience: string[] }>, count: number) => {
      const taken: number[] = [];
      for (let i = 0; i < count; i++) taken.push((await stream.next()).value?.n as number);
      return taken;
    };
    expect(await take(agent, 3)).toEqual([2, 3, 4]);
    expect(await take(manager, 4)).toEqual([1, 2, 3, 4]);
    await agent.return();
    await manager.return();
    expect(events.listeners.size).toBe(0);
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
