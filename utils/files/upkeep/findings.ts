/** Examples kept per kind of damage; the counts are exact. */
const EXAMPLES = 20;

/** One kind of damage: how often it was seen, and the first few places, for the report. */
export interface Finding {
  count: number;
  examples: string[];
}

export const finding = (): Finding => ({ count: 0, examples: [] });

export function note(target: Finding, example: string): void {
  target.count += 1;
  if (target.examples.length < EXAMPLES) target.examples.push(example);
}
