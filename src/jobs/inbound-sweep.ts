import { receiveOverdueInboundParts } from '../domain/conversations/inbound.js';

/**
 * Every worker looks, a few times per timeout, for long replies whose parts stopped coming
 * (domain/conversations/inbound-parts.ts) and stores them as they are. Several workers sweeping
 * at once take each set once: it is taken under its lock and deleted as it is stored.
 */
export class InboundPartsSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly timeoutSeconds: number) {}

  start(): void {
    if (this.timer) return;
    const everyMs = Math.max(250, Math.min(5000, (this.timeoutSeconds * 1000) / 4));
    this.timer = setInterval(() => {
      this.running ??= receiveOverdueInboundParts(this.timeoutSeconds)
        .catch((error: unknown) => console.error('[inbound] could not store overdue reply parts:', (error as Error).message))
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
