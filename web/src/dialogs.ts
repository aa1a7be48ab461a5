/**
 * Modal <dialog> elements built on demand: showModal() makes the page behind inert and gives
 * Escape-to-close for free, which window.confirm/prompt cannot be styled or tested like.
 */
import { describeError } from './alerts.js';
import { h } from './dom.js';
import { nameProblem } from './names.js';

let dialogCount = 0;

export interface DialogParts {
  dialog: HTMLDialogElement;
  form: HTMLFormElement;
  body: HTMLElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
  close(): void;
  fail(error: unknown): void;
  /** Disables the buttons while a request runs, so a double click cannot send it twice. */
  busy(on: boolean): void;
}

export interface DialogOptions {
  title: string;
  submitLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  wide?: boolean;
  /** Runs on submit; the dialog closes when it resolves (unless keepOpen) and shows the error when it throws. */
  onSubmit(parts: DialogParts): Promise<void>;
  /** The dialog stays open after a successful submit, for a form used more than once (the share dialog). */
  keepOpen?: boolean;
  onClose?(): void;
}

export function openDialog(options: DialogOptions, content: Node[]): DialogParts {
  dialogCount += 1;
  const titleId = `dialog-title-${dialogCount}`;
  const error = h('p', { class: 'alert', attrs: { id: `dialog-error-${dialogCount}`, role: 'alert', hidden: true } });
  const submit = h('button', { class: options.danger === true ? 'button danger' : 'button primary', text: options.submitLabel, attrs: { type: 'submit' } });
  const cancel = h('button', { class: 'button', text: options.cancelLabel ?? 'Cancel', attrs: { type: 'button' } });
  const body = h('div', { class: 'dialog-body' }, content);
  const form = h('form', { class: 'dialog-form', attrs: { novalidate: true } }, [
    h('h2', { text: options.title, attrs: { id: titleId } }),
    body,
    error,
    h('div', { class: 'dialog-actions' }, [cancel, submit]),
  ]);
  const dialog = h('dialog', { class: options.wide === true ? 'dialog wide' : 'dialog', attrs: { 'aria-labelledby': titleId } }, [form]);

  const parts: DialogParts = {
    dialog,
    form,
    body,
    error,
    submit,
    close: () => dialog.close(),
    fail: (failure: unknown) => {
      error.textContent = describeError(failure);
      error.hidden = false;
    },
    busy: (on: boolean) => {
      submit.disabled = on;
      form.setAttribute('aria-busy', String(on));
    },
  };

  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    error.hidden = true;
    parts.busy(true);
    options.onSubmit(parts).then(
      () => {
        if (options.keepOpen === true) parts.busy(false);
        else dialog.close();
      },
      (failure: unknown) => {
        parts.busy(false);
        parts.fail(failure);
      },
    );
  });
  // Keyboard and screen reader users carry on from where they opened the dialog.
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.addEventListener('close', () => {
    dialog.remove();
    options.onClose?.();
    // Unless onClose moved the focus, or the opener went with what the dialog changed.
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (lost && opener?.isConnected === true) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return parts;
}

export interface TextPromptOptions {
  title: string;
  label: string;
  value?: string;
  submitLabel: string;
  onSubmit(value: string): Promise<void>;
}

/**
 * A one-field form for a name (a new folder's, a rename). A name the server would refuse is
 * explained before anything is sent; an empty one goes to the API, whose "Missing name" is shown.
 */
export function promptText(options: TextPromptOptions): void {
  const inputId = `dialog-input-${dialogCount + 1}`;
  const input = h('input', {
    class: 'field',
    attrs: { id: inputId, type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `dialog-error-${dialogCount + 1}` },
  });
  input.value = options.value ?? '';
  const submit = async (): Promise<void> => {
    const problem = nameProblem(input.value);
    input.setAttribute('aria-invalid', String(problem !== undefined));
    if (problem !== undefined) throw new Error(problem);
    await options.onSubmit(input.value);
  };
  openDialog({ title: options.title, submitLabel: options.submitLabel, onSubmit: submit }, [
    h('label', { class: 'label', text: options.label, attrs: { for: inputId } }),
    input,
  ]);
  // Select the name without its extension, the part people usually change.
  const dot = input.value.lastIndexOf('.');
  input.focus();
  input.setSelectionRange(0, dot > 0 ? dot : input.value.length);
}

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm(): Promise<void>;
  /** Once the dialog is gone, confirmed or not: the page behind is no longer inert, so focus can move there. */
  onClose?(): void;
}

export function confirmAction(options: ConfirmOptions): void {
  const parts = openDialog(
    { title: options.title, submitLabel: options.confirmLabel, danger: true, onSubmit: () => options.onConfirm(), onClose: () => options.onClose?.() },
    [h('p', { text: options.message })],
  );
  // The safe choice has the focus, so Enter alone never deletes anything.
  parts.form.querySelector<HTMLButtonElement>('button[type="button"]')?.focus();
}
