/**
 * Files dragged from the desktop onto `zone`: it shows the `dragging` class while they are over
 * it, and `take` gets them once dropped. Anything else dragged (text, a link) is left alone.
 */
export function acceptDroppedFiles(zone: HTMLElement, take: (files: File[]) => void): void {
  // dragenter/dragleave fire for every child crossed; a counter tells when the pointer really left.
  let depth = 0;
  const carriesFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') ?? false;
  zone.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  zone.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    take([...(event.dataTransfer?.files ?? [])]);
  });
}
