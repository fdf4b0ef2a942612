/**
 * One budget for the receive windows of every channel in the process, so a hundred slow readers
 * cannot take the machine's memory: a channel may only grow its window by reserving the growth
 * here. A new channel arrives holding ssh2's opening window (it cannot be refused: ssh2 opens
 * every channel with it); when that puts the budget over, or growth finds no room, windows above
 * an even share shrink back towards it, and over budget even below the opening window.
 */
export interface BudgetMember {
  /** Bytes this member holds against the budget (its window, or more while that drains). */
  readonly reserved: number;
  /** The budget is tight: bring your window down to at most `share` (never below your floor). */
  shrinkTo(share: number): void;
}

export class WindowBudget {
  private readonly members = new Set<BudgetMember>();
  private total = 0;

  constructor(public limit: number) {}

  /** Bytes reserved by all members together. */
  get used(): number {
    return this.total;
  }

  /** What is left before the limit (negative when over), asking no one to shrink. */
  get room(): number {
    return this.limit - this.total;
  }

  /** More is reserved than the limit: channels should come down to an even share. */
  get over(): boolean {
    return this.total > this.limit;
  }

  get channels(): number {
    return this.members.size;
  }

  /** An even share of the budget among the channels there are now. */
  get share(): number {
    return Math.floor(this.limit / Math.max(1, this.members.size));
  }

  /** Adds a member holding `reserved` bytes, granted whatever the budget says (its floor). */
  join(member: BudgetMember): void {
    this.members.add(member);
    this.total += member.reserved;
    if (this.total > this.limit) this.squeeze();
  }

  leave(member: BudgetMember): void {
    if (!this.members.delete(member)) return;
    this.total -= member.reserved;
  }

  /** A member's reservation changed from `before` to its current `reserved`. */
  changed(member: BudgetMember, before: number): void {
    if (this.members.has(member)) this.total += member.reserved - before;
  }

  /**
   * Whether `amount` more bytes fit. When they do not, the budget is tight: members above an
   * even share are asked to shrink, so the caller may get room next time.
   */
  fits(amount: number): boolean {
    if (this.total + amount <= this.limit) return true;
    this.squeeze();
    return false;
  }

  private squeeze(): void {
    const share = this.share;
    for (const m of this.members) if (m.reserved > share) m.shrinkTo(share);
  }
}
