import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import { UsageError } from '../core/errors.ts';
import { noCredentials, RemoteApiError } from './errors.ts';

/**
 * GET against a Lambda Function URL with `AWS_IAM` auth: the request is signed with SigV4 for the
 * `lambda` service, with the caller's credentials from the usual AWS chain (env, profile, SSO …).
 * node:http rather than fetch, because fetch will not send the `host` header the signature covers.
 */
export interface SignedGetOptions {
  /** Default: from the Function URL's host (`<id>.lambda-url.<region>.on.aws`), else AWS_REGION. */
  region?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  timeoutMs?: number;
}

/** The answer; `next` is the cursor of the page after it, for the API's list endpoints (`mailflow-next`). */
export interface SignedAnswer {
  status: number;
  contentType: string;
  body: string;
  next: string | null;
}

export async function signedGet(url: URL, options: SignedGetOptions = {}): Promise<SignedAnswer> {
  const region = options.region ?? regionOf(url);
  const signer = new SignatureV4({ service: 'lambda', region, credentials: options.credentials ?? defaultProvider(), sha256: NodeSha256 });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  // Send the query exactly as the signature canonicalises it (RFC 3986, %20 not +, sorted), so no
  // proxy or server can read it differently from what was signed.
  url = new URL(url.href);
  url.search = Object.keys(query)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(query[k]!)}`)
    .join('&');
  const signed = await signer
    .sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, accept: 'application/json, text/csv' },
    })
    .catch((err: Error) => {
      throw err.name === 'CredentialsProviderError' ? noCredentials(err) : err;
    });
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const response = await new Promise<SignedAnswer>((resolve, reject) => {
    const req = send(url, { method: 'GET', headers: signed.headers, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          next: typeof res.headers['mailflow-next'] === 'string' ? res.headers['mailflow-next'] : null,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${(options.timeoutMs ?? 30_000) / 1000} s`)));
    req.on('error', (err) => reject(new RemoteApiError(0, `cannot reach ${url.origin}: ${err.message}`)));
    req.end();
  });
  if (response.status >= 200 && response.status < 300) return response;
  throw new RemoteApiError(
    response.status,
    `${url.origin}${url.pathname} answered ${response.status}: ${messageOf(response.body)}${response.status === 403 ? ' (your principal needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction on the query function: attach the stack output QueryCallerPolicyArn)' : ''}`,
  );
}

export function regionOf(url: URL): string {
  const m = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname);
  const region = m?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('NO_REGION', `cannot tell the AWS region from ${url.hostname}; pass --region`);
  return region;
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; Message?: unknown; message?: unknown };
    return String(parsed.error ?? parsed.Message ?? parsed.message ?? body);
  } catch {
    return body.slice(0, 300) || '(empty body)';
  }
}

/** SHA-256 (and HMAC-SHA-256 with a secret) from node:crypto, in the shape the signer expects. */
class NodeSha256 implements Checksum {
  private hash;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    throw new Error('not used by the signer');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
