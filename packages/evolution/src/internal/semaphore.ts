/** Limits how many async tasks run at once; waiters are served in arrival order. */
export class Semaphore {
  #available: number;
  readonly #waiting: (() => void)[] = [];

  constructor(permits: number) {
    this.#available = permits;
  }

  /** Runs `task` once a permit is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#available > 0) {
      this.#available--;
    } else {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#available++;
      else next();
    }
  }
}
