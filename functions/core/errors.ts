/**
 * Every failure the core reports is a `MailflowError` with a stable `code`, so shells
 * (Lambda handlers, the CLI) branch on `code`, never on message text.
 * `byteOffset` / `line` say where in the input the problem is, when that is known.
 */
export class MailflowError extends Error {
  readonly code: string;
  readonly byteOffset?: number;
  readonly line?: number;

  constructor(code: string, message: string, where: { byteOffset?: number; line?: number; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = new.target.name;
    this.code = code;
    if (where.byteOffset !== undefined) this.byteOffset = where.byteOffset;
    if (where.line !== undefined) this.line = where.line;
  }
}

/**
 * The upload itself is the problem, not the system reading it: it gets a `rejected` receipt with
 * this error's code and message, and retrying the same bytes would fail the same way.
 */
export class RejectedInputError extends MailflowError {}

/** The bytes are not something we can read: wrong file type, bad compression, bad encoding, a cap hit. */
export class InputError extends RejectedInputError {}

/** The text is CSV we cannot parse safely (a record too large, too many columns, an unclosed quote). */
export class CsvFormatError extends RejectedInputError {}

/** The header does not match any export family we know. */
export class UnrecognizedFormatError extends RejectedInputError {}

/** One row cannot be used (the rest of the file can): skipped, counted and sampled with its line. */
export class RowError extends MailflowError {}

/** A conditional write lost: the object exists (putIfAbsent) or changed (putIfMatch). */
export class PreconditionFailedError extends MailflowError {
  constructor(key: string, detail: string) {
    super('PRECONDITION_FAILED', `${key}: ${detail}`);
  }
}

/** A compare-and-swap loop ran out of its time budget; transient, so the caller may retry. */
export class ConflictBudgetError extends MailflowError {}

/** A command-line or configuration value is invalid. */
export class UsageError extends MailflowError {}

export function isMailflowError(err: unknown): err is MailflowError {
  return err instanceof MailflowError;
}

/** Some tenants of a scheduled run failed; every other tenant was evaluated and sent its digest. */
export class TenantRunError extends MailflowError {}

/** Objects could not be erased (`purge`): the store refused, usually a missing delete right. */
export class EraseError extends MailflowError {}

/** What a source contributed cannot be taken out: it was counted before sources' events were kept. */
export class SourceHistoryError extends MailflowError {}

/**
 * Microsoft Graph or the sign-in refused the collector, for a reason an admin fixes once: a bad
 * certificate, no admin consent, a missing permission, the missing first-party service principal.
 * `code` says which (COLLECT_CERTIFICATE, COLLECT_CONSENT, COLLECT_PERMISSION, COLLECT_SERVICE_PRINCIPAL,
 * COLLECT_SIGN_IN, COLLECT_GRAPH); the message says what to do.
 */
export class GraphAccessError extends MailflowError {}
