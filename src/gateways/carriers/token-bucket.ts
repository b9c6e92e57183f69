/**
 * Throughput cap of one bind, in segments per second, with a share reserved for transactional
 * messages: bulk traffic may only take a token while more than the reserve is left, so a
 * transactional message always finds one at once, and bulk still gets the full rate when alone
 * (the bucket just hovers at the reserve instead of empty).
 *
 * Throttling answers halve the rate; it doubles back towards the configured rate after each
 * quiet `recoveryMs`. Time is passed in (milliseconds) so that the rules are testable without a clock.
 */
/** Refills add fractions of a token: 0.2 five times may sum to 0.9999999999999999. */
const EPSILON = 1e-9;

export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Fraction (0..0.9) of the burst reserved for transactional traffic. */
  reservedShare: number;
  /** Burst size in seconds of traffic (at least one token). */
  burstSeconds?: number;
  /** Quiet time after which a slowed-down rate doubles back. */
  recoveryMs?: number;
  /** The rate never goes below this after throttling. */
  minimumRate?: number;
}

export class TokenBucket {
  readonly configuredRate: number;
  private rate: number;
  private tokens: number;
  private updatedAt: number;
  private lastThrottleAt = Number.NEGATIVE_INFINITY;
  private lastRecoveryAt = Number.NEGATIVE_INFINITY;
  private readonly reservedShare: number;
  private readonly burstSeconds: number;
  private readonly recoveryMs: number;
  private readonly minimumRate: number;

  constructor(options: TokenBucketOptions, now: number) {
    this.configuredRate = options.ratePerSecond;
    this.rate = options.ratePerSecond;
    if (!(options.reservedShare >= 0 && options.reservedShare <= 0.9)) throw new RangeError('reservedShare must be between 0 and 0.9');
    this.reservedShare = options.reservedShare;
    this.burstSeconds = options.burstSeconds ?? 0.05;
    this.recoveryMs = options.recoveryMs ?? 5_000;
    this.minimumRate = Math.min(options.minimumRate ?? 1, options.ratePerSecond);
    this.tokens = this.capacity();
    this.updatedAt = now;
  }

  get currentRate(): number {
    return this.rate;
  }

  /** At least room for one bulk token above the reserve, so bulk is never starved at low rates. */
  capacity(): number {
    return Math.max(1 / (1 - this.reservedShare), this.rate * this.burstSeconds);
  }

  private reserve(): number {
    return this.capacity() * this.reservedShare;
  }

  private refill(now: number): void {
    if (this.rate < this.configuredRate && now - Math.max(this.lastThrottleAt, this.lastRecoveryAt) >= this.recoveryMs) {
      this.rate = Math.min(this.configuredRate, this.rate * 2);
      this.lastRecoveryAt = now;
    }
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity(), this.tokens + (elapsed * this.rate) / 1000);
      this.updatedAt = now;
    }
  }

  /** Takes one token when the lane may send now. */
  tryTake(transactional: boolean, now: number): boolean {
    this.refill(now);
    const needed = transactional ? 1 : 1 + this.reserve();
    if (this.tokens + EPSILON < needed) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until `tryTake` can succeed for that lane (0 when it can now). */
  waitMs(transactional: boolean, now: number): number {
    this.refill(now);
    const needed = transactional ? 1 : 1 + this.reserve();
    if (this.tokens + EPSILON >= needed) return 0;
    return Math.ceil(((needed - this.tokens) * 1000) / this.rate);
  }

  /**
   * A throttling answer: halve the rate and empty the bucket. Answers to the same burst arrive
   * together; only the first of them within `graceMs` halves again.
   */
  slowDown(now: number, graceMs: number): boolean {
    this.refill(now);
    if (now - this.lastThrottleAt < graceMs) return false;
    this.rate = Math.max(this.minimumRate, this.rate / 2);
    this.tokens = 0;
    this.lastThrottleAt = now;
    return true;
  }
}
