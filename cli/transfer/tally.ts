/** What a transfer run did to each file, and the summary line it ends with. */
import { formatSeconds, formatSize, plural } from '../format';

export class Tally {
  transferred = 0;
  resumed = 0;
  bytes = 0;
  alreadyThere = 0;
  failed = 0;
  /** Files never tried, because the run stopped (no room left, no server, no session). */
  notStarted = 0;
  private readonly startedAt = Date.now();

  get complete(): boolean {
    return this.failed === 0 && this.notStarted === 0;
  }

  /** e.g. "Uploaded 120 of 201 files (35.2 MiB in 4s, 1 resumed); 81 already there; 0 failed." */
  summary(verb: string, files: number): string {
    const seconds = formatSeconds((Date.now() - this.startedAt) / 1000);
    const parts = [
      `${verb} ${this.transferred} of ${plural(files, 'file')} (${formatSize(this.bytes)} in ${seconds}, ${this.resumed} resumed)`,
      `${this.alreadyThere} already there`,
      `${this.failed} failed`,
    ];
    if (this.notStarted > 0) parts.push(`${this.notStarted} not tried`);
    return `${parts.join('; ')}.`;
  }
}
