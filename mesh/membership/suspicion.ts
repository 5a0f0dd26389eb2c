// Suspicion: a Lifeguard-style timer that starts long and shortens with each independent confirmation.

/** A running suspicion of one member at one incarnation. */
export class Suspicion {
  private readonly accusers = new Set<string>();
  /** When the member is declared dead unless refuted. */
  deadline: number;

  /**
   * @param k confirmations expected before the timeout reaches its minimum
   * @param minMs timeout after k confirmations; @param maxMs timeout with none
   */
  constructor(
    readonly incarnation: number,
    readonly startedAt: number,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    firstAccuser: string,
  ) {
    this.accusers.add(firstAccuser);
    this.deadline = startedAt + this.timeout();
  }

  /** The current timeout: max − (max − min)·log(c + 1)/log(k + 1), never below min (Lifeguard §4.3). */
  timeout(): number {
    const c = this.accusers.size - 1;
    if (this.k < 1) return this.minMs;
    const frac = Math.log(c + 1) / Math.log(this.k + 1);
    return Math.max(this.minMs, Math.floor(this.maxMs - (this.maxMs - this.minMs) * frac));
  }

  /** Records an independent accuser; returns whether it was new (and the deadline moved). */
  confirm(accuser: string): boolean {
    if (this.accusers.has(accuser) || this.accusers.size > this.k) return false;
    this.accusers.add(accuser);
    this.deadline = this.startedAt + this.timeout();
    return true;
  }

  get confirmations(): number {
    return this.accusers.size - 1;
  }
}
