// The guardian's scheduling per path: checks and guard writes of one path run one at a time, in
// the order asked; one timer per path arms its next check; and "idle" (nothing running, queued
// or armed, and no reaction pending) is observable, for the baseline and for tests.

/** Node may fire a timer up to a millisecond early; a check that finds the path not yet quiet re-arms. */
const TIMER_MARGIN_MS = 1;

export class PathQueues {
  readonly #queues = new Map<string, Promise<void>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #otherPending: () => number;
  #waiters: Array<() => void> = [];

  /** `otherPending`: work outside these queues that idle must also wait for (the reactions). */
  constructor(otherPending: () => number) {
    this.#otherPending = otherPending;
  }

  // Run `task` in the queue of `path`: after every task of the path before it.
  run<T>(path: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(path) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(path, tail);
    void tail.then(() => {
      if (this.#queues.get(path) === tail) this.#queues.delete(path);
      this.settled();
    });
    return run;
  }

  // (Re-)arm the timer of `path`: `fire` runs `delayMs` from now, replacing any armed before.
  later(path: string, delayMs: number, fire: () => void): void {
    clearTimeout(this.#timers.get(path));
    this.#timers.set(
      path,
      setTimeout(() => {
        this.#timers.delete(path);
        fire();
        this.settled();
      }, delayMs + TIMER_MARGIN_MS),
    );
  }

  /** Something of `path` runs, waits or is armed. */
  busy(path: string): boolean {
    return this.#queues.has(path) || this.#timers.has(path);
  }

  get idle(): boolean {
    return this.#queues.size === 0 && this.#timers.size === 0 && this.#otherPending() === 0;
  }

  /** Resolves when idle. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Tell the idle waiters, if idle now (call after work outside the queues ends). */
  settled(): void {
    if (!this.idle) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  // Disarm every timer; resolves when the tasks already queued have run.
  async drain(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#queues.values()]);
  }
}
