/**
 * Gathers calls that arrive close together into one batch: a batch goes when it holds `maxBatch`
 * items or `maxWaitMs` after its first item arrived, whichever is first. Each caller gets its own
 * result; if the batch fails, every caller in it gets the error. Batches run concurrently.
 */
export class MicroBatcher<In, Out> {
  private pending: { item: In; resolve: (value: Out) => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private running = new Set<Promise<void>>();

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly options: { maxBatch: number; maxWaitMs: number },
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      // A wait of 0 gathers what arrives in the same turn of the event loop.
      else if (this.timer === null) {
        this.timer =
          this.options.maxWaitMs === 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), this.options.maxWaitMs);
      }
    });
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.timer) {
      if (this.options.maxWaitMs === 0) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const done = this.run(batch.map((entry) => entry.item)).then(
      (results) => {
        batch.forEach((entry, index) => {
          if (index < results.length) entry.resolve(results[index] as Out);
          else entry.reject(new Error('batch returned fewer results than items'));
        });
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
    const tracked = done.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Sends what is pending and waits for every batch in flight. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.running);
  }
}
