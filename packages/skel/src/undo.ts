/**
 * The rollback of an ADD: each side effect pushes the step that undoes it;
 * when a later step fails, the stack unwinds newest first, every step tried
 * even if an earlier undo failed. Success disarms it.
 *
 *   await using undo = new UndoStack((what, e) => log.warn(`rollback: ${what} failed`, { error: String(e) }));
 *   const ipam = await delegateAdd(...);          undo.push("release IPAM", () => delegateDel(...));
 *   const veth = await host.createVethPair(...);  undo.push("delete veth", () => ctr.deleteLink(ifName));
 *   ...
 *   undo.disarm();
 */
export class UndoStack implements AsyncDisposable {
  readonly #steps: { what: string; undo: () => unknown }[] = [];
  #armed = true;
  readonly #onError: (what: string, error: unknown) => void;

  constructor(onError: (what: string, error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  push(what: string, undo: () => unknown): void {
    this.#steps.push({ what, undo });
  }

  /** ADD succeeded: nothing will be undone. */
  disarm(): void {
    this.#armed = false;
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Unwinds when still armed. Never throws: the error that caused the rollback is the one to report. */
  async unwind(): Promise<string[]> {
    const failed: string[] = [];
    if (!this.#armed) return failed;
    this.#armed = false;
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step.undo();
      } catch (e) {
        failed.push(step.what);
        this.#onError(step.what, e);
      }
    }
    return failed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.unwind();
  }
}
