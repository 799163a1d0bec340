/**
 * The interfaces the core needs from the outside world. Adapters implement them: the data folder
 * (`createFsStore`), S3 (`createS3Store`), SNS and the local outbox. The core never learns where bytes live.
 */

export interface StoredObject {
  body: Uint8Array;
  /** Opaque version tag: S3's ETag; in the data folder, the file's inode, size and mtime (it changes on every write). */
  etag: string;
}

export interface ListedObject {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
}

/**
 * Conditional writes are the concurrency primitive: `putIfAbsent` is S3's `If-None-Match: *`,
 * `putIfMatch` its `If-Match: <etag>`. Both throw `PreconditionFailedError` when the condition
 * does not hold (S3 412, 409, or 404 for If-Match on a missing key).
 */
export interface ListOptions {
  startAfter?: string;
}

export interface ObjectStore {
  get(key: string): Promise<StoredObject | null>;
  putIfAbsent(key: string, body: Uint8Array): Promise<{ etag: string }>;
  putIfMatch(key: string, body: Uint8Array, etag: string): Promise<{ etag: string }>;
  /**
   * Objects under `prefix` in key order; with `startAfter`, only keys after it (S3's StartAfter: a
   * date-bounded listing starts at its first day instead of the tenant's first hour).
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ListedObject>;
  /**
   * The keys `list` gives, without the rest: a file store then need not stat every file (a 30-day
   * dashboard view of 50 tenants lists 7,600). Optional: `listKeys()` falls back to `list`.
   */
  keys?(prefix: string, options?: ListOptions): AsyncIterable<string>;
  /**
   * The folders right below `prefix` (which ends in `/`) that hold objects, each as its own prefix
   * (`results/hourly/tenant=x/`): S3's common prefixes, one request per 1,000 instead of a listing
   * of every object. Optional: `listFolders()` falls back to `list`.
   */
  folders?(prefix: string): AsyncIterable<string>;
  /**
   * The first `bytes` bytes of the object (all of it when it is smaller), null when there is none:
   * S3's ranged GET. A query over whole days reads only the day line at the start of each summary
   * object (a twentieth of it). Optional: readers fall back to `get`. With `until` (a byte value)
   * the store may stop sooner, once what it read holds that byte: a file store reads in steps, an
   * S3 store answers the whole range in its one request anyway.
   */
  getHead?(key: string, bytes: number, until?: number): Promise<Uint8Array | null>;
}

/**
 * Admin-only: removes objects for good (on a versioned bucket, every version and delete marker).
 * Only the CLI's `purge` builds one, with the admin's credentials; the functions never get one, as
 * their roles have no delete rights.
 */
export interface ObjectEraser {
  /** The objects (versions, on a bucket) under `prefix` whose key `match` accepts (all without it). */
  count(prefix: string, match?: (key: string) => boolean): Promise<number>;
  /** Erases them; returns how many went. */
  erase(prefix: string, match?: (key: string) => boolean): Promise<number>;
}

/** What a notifier sends: the same content as plain text for people and JSON for machines. */
export interface Notification {
  /** Built from a template only, never from data (it becomes an email header). */
  subject: string;
  text: string;
  json: Record<string, unknown>;
  /** Where the full report is, when the message had to be shortened. */
  fullReportKey?: string;
}

/** Where alerts and digests go: SNS when deployed, the terminal and an outbox file locally. */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** Links people can open without AWS credentials: CloudFront signed URLs when deployed. */
export interface LinkSigner {
  /** A link to the object at `key` that works until `expiresAt`, and not after. */
  link(key: string, expiresAt: Date): Promise<string>;
}

/** One GET against Microsoft Graph's message trace API: a path under its base, or a whole `@odata.nextLink`. */
export interface GraphApi {
  get(pathOrUrl: string): Promise<GraphResponse>;
}

export interface GraphResponse {
  status: number;
  /** From a 429's (or 503's) Retry-After, in ms; null without one. */
  retryAfterMs: number | null;
  body: string;
}

export interface Clock {
  now(): Date;
  /** Waits; the CAS retry loop uses it for jittered backoff (a fake clock can skip it). */
  sleep(ms: number): Promise<void>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
