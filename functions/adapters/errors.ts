import { MailflowError, UsageError } from '../core/errors.ts';

/** Errors of the transports and credentials the adapters use; the core never sees them. */

/** The query API answered with an error (status says which: 400 a bad parameter, 403 not allowed). */
export class RemoteApiError extends MailflowError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(status === 400 ? 'API_BAD_REQUEST' : status === 403 ? 'API_FORBIDDEN' : 'API_FAILED', message);
    this.status = status;
  }
}

/** The AWS SDK found no credentials: the same advice wherever it happens (S3, SigV4 signing). */
export function noCredentials(err: Error): UsageError {
  return new UsageError(
    'NO_CREDENTIALS',
    `no AWS credentials (${err.message}); set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
  );
}

/** A body stopped delivering bytes: transient, so the invocation fails and Lambda retries it. */
export class ReadStalledError extends MailflowError {}
