/**
 * Which items of the listing are selected, by id, with the rules of the file managers people
 * know: a click selects one item, Ctrl (Cmd on a Mac) adds or removes one, Shift selects the
 * range from the anchor (the last item clicked without Shift) to the one clicked.
 */

export interface Gesture {
  /** Shift held: the range from the anchor. */
  range: boolean;
  /** Ctrl or Cmd held: one item added or removed, the rest kept. */
  toggle: boolean;
}

export class Selection {
  private readonly ids = new Set<string>();
  private anchor: string | undefined;

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** The selected ids in the order of `order` (the listing's). */
  inOrder(order: readonly string[]): string[] {
    return order.filter((id) => this.ids.has(id));
  }

  clear(): void {
    this.ids.clear();
    this.anchor = undefined;
  }

  selectAll(order: readonly string[]): void {
    for (const id of order) this.ids.add(id);
  }

  /** Where a range starts when none was chosen yet: Shift+arrow from the item with the focus. */
  anchorAt(id: string): void {
    this.anchor ??= id;
  }

  /** A click on `id`, or an arrow key that moved to it, with the modifiers held. */
  choose(id: string, order: readonly string[], gesture: Gesture): void {
    if (gesture.range) {
      const from = order.indexOf(this.anchor ?? id);
      const to = order.indexOf(id);
      // With Ctrl as well, the range is added to what was selected (as in Windows' Explorer).
      if (!gesture.toggle) this.ids.clear();
      const [first, last] = from < 0 ? [to, to] : [Math.min(from, to), Math.max(from, to)];
      for (const inRange of order.slice(first, last + 1)) this.ids.add(inRange);
      if (from < 0) this.anchor = id;
      return;
    }
    this.anchor = id;
    if (gesture.toggle) {
      if (!this.ids.delete(id)) this.ids.add(id);
      return;
    }
    this.ids.clear();
    this.ids.add(id);
  }

  /** Forgets what is no longer listed (deleted, moved away, renamed out of a search). */
  keepOnly(order: readonly string[]): void {
    const listed = new Set(order);
    for (const id of this.ids) if (!listed.has(id)) this.ids.delete(id);
    if (this.anchor !== undefined && !listed.has(this.anchor)) this.anchor = undefined;
  }
}
