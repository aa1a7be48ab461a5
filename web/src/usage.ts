/**
 * The usage bar: what the user's files take against their quota (GET /users/me/usage), as a
 * <meter> named by the sentence next to it. The trash counts against the quota, so its share is
 * said too: emptying it is the first way to make room.
 */
import { currentUsage, type Usage } from './api.js';
import { byId } from './dom.js';
import { formatSize } from './media.js';

/** The meter turns amber past the first fraction of the quota and red past the second (its `low` and `high`). */
const FILLING_UP = 0.75;
const NEARLY_FULL = 0.9;

/**
 * One request at a time: a change while one is on its way asks for one more after it, so several
 * changes at once (three uploads ending together) cost two requests, and the figures shown are
 * never older than the last change. The first goes at once rather than after a delay: the bar
 * follows what was just done, and no request waits on a timer to find, at a moment tied to no
 * action of the user's, that the session has ended meanwhile.
 */
let loading: AbortController | undefined;
let again = false;

/** "1.2 MiB of 10.0 MiB used", or "1.2 MiB used" without a quota, and the trash's share when it has one. */
export function describeUsage(usage: Usage): string {
  const used = usage.quota === null ? `${formatSize(usage.used)} used` : `${formatSize(usage.used)} of ${formatSize(usage.quota)} used`;
  return usage.trash > 0 ? `${used}, ${formatSize(usage.trash)} of it in the trash` : used;
}

/** Deleted files count until the trash is emptied: deleting alone makes no room. */
function howToMakeRoom(usage: Usage | undefined): string {
  if (usage === undefined) return 'Empty the trash or delete files to make room.';
  if (usage.trash > 0) return `Empty the trash (it holds ${formatSize(usage.trash)}), or delete files and then empty the trash, to make room.`;
  return 'Delete files, then empty the trash, to make room.';
}

/**
 * What a 507 means and what to do about it (the API's "Quota exceeded" says neither): how much
 * of the quota is free, when the figures could be read, and how to make room.
 */
export function quotaAdvice(usage: Usage | undefined): string {
  if (usage === undefined || usage.quota === null) return `Not enough space: this upload would go over your quota. ${howToMakeRoom(usage)}`;
  const free = Math.max(usage.quota - usage.used, 0);
  return `Not enough space: only ${formatSize(free)} of your ${formatSize(usage.quota)} quota is free. ${howToMakeRoom(usage)}`;
}

function show(usage: Usage): void {
  const meter = byId('usage-meter', HTMLMeterElement);
  byId('usage-text', HTMLElement).textContent = describeUsage(usage);
  // Without a quota there is nothing to be a fraction of: the sentence alone says it.
  meter.hidden = usage.quota === null;
  if (usage.quota !== null) {
    const max = Math.max(usage.quota, 1);
    meter.max = max;
    meter.low = max * FILLING_UP;
    meter.high = max * NEARLY_FULL;
    meter.optimum = 0;
    // A quota lowered under what is stored leaves `used` above it: the meter shows it full.
    meter.value = Math.min(usage.used, max);
  }
  byId('usage', HTMLElement).hidden = false;
}

async function load(controller: AbortController): Promise<void> {
  try {
    const usage = await currentUsage(controller.signal);
    if (!controller.signal.aborted) show(usage);
  } catch {
    // The bar is a side note: a failure here must not cover the message of the action that
    // caused the refresh. It keeps the last figures until the next refresh (a 401 has already
    // brought the login form back).
  }
}

/** Asks for the figures again: after uploads, deletes, restores, an emptied trash, a login. */
export function refreshUsage(): void {
  if (loading !== undefined) {
    again = true;
    return;
  }
  const controller = new AbortController();
  loading = controller;
  void load(controller).finally(() => {
    // A logout meanwhile has forgotten this request, and what was asked after it.
    if (loading !== controller) return;
    loading = undefined;
    if (!again) return;
    again = false;
    refreshUsage();
  });
}

/** Hides the bar and forgets its figures, e.g. on logout, so the next user never sees them. */
export function resetUsage(): void {
  loading?.abort();
  loading = undefined;
  again = false;
  byId('usage', HTMLElement).hidden = true;
  byId('usage-text', HTMLElement).textContent = '';
}
