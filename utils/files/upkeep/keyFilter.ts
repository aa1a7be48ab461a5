import { createHash } from 'node:crypto';

/**
 * A Bloom filter of stored keys, so the sweep can ask "does a document reference this?" of a
 * million documents in 1.8 bytes each: "no" is certain (a key added is always found), "maybe"
 * is wrong about 0.1% of the time, and then an unreferenced object is only left for a later run.
 */
export class KeyFilter {
  private readonly bits: Uint8Array;
  private readonly size: number;
  private static readonly HASHES = 10;

  constructor(expectedKeys: number) {
    // 14.4 bits and 10 hashes per key is the optimum for a 0.1% false-positive rate.
    this.size = Math.max(1024, Math.ceil(expectedKeys * 14.4));
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  private positions(key: string): number[] {
    const digest = createHash('sha256').update(key).digest();
    const [a, b] = [digest.readUInt32BE(0), digest.readUInt32BE(4)];
    return Array.from({ length: KeyFilter.HASHES }, (_, i) => (a + i * b) % this.size);
  }

  add(key: string): void {
    for (const bit of this.positions(key)) this.bits[bit >> 3] = (this.bits[bit >> 3] ?? 0) | (1 << (bit & 7));
  }

  mightContain(key: string): boolean {
    return this.positions(key).every((bit) => ((this.bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0);
  }
}
