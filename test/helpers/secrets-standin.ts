import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SessionCredentials } from './lambda/iam.ts';
import type { Statement } from './lambda/template.ts';

/**
 * A loopback stand-in for AWS Secrets Manager's GetSecretValue (its JSON 1.1 protocol), for the
 * deployed functions run in the Lambda harness: no Secrets Manager runs here, and a mocked SDK
 * client cannot reach into the function's own process. It does what makes the test worth
 * something: it checks each request's SigV4 signature against the credentials of the role
 * session it was told about (so the function must sign with what Lambda gave it), and it
 * evaluates that role's Secrets Manager statements from the synthesized template (Allow/Deny,
 * action and resource globs), so a secret the role was not granted answers AccessDeniedException
 * as AWS would.
 */
export interface SecretsStandin {
  endpoint: string;
  /** The secrets, by their complete ARN. */
  put(arn: string, value: string): void;
  /** Requests from this session are signed with it and judged by these statements. */
  allow(credentials: SessionCredentials, statements: Statement[]): void;
  /** Every request: who asked, for what, and the answer. */
  requests: Array<{ accessKeyId: string; secretId: string; status: number; error?: string }>;
  close(): Promise<void>;
}

const REGION = 'us-east-1';

export async function startSecretsStandin(): Promise<SecretsStandin> {
  const secrets = new Map<string, string>();
  const sessions = new Map<string, { credentials: SessionCredentials; statements: Statement[] }>();
  const requests: SecretsStandin['requests'] = [];

  const server = createServer(async (req, res) => {
    const body = await text(req);
    const answer = (status: number, json: unknown, error?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(json));
      return error;
    };
    const fail = (status: number, type: string, message: string) => answer(status, { __type: type, message, Message: message }, type);
    let secretId = '';
    let accessKeyId = '';
    const error = await (async () => {
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue')
        return fail(400, 'UnknownOperationException', `the stand-in answers GetSecretValue only, not ${req.headers['x-amz-target']}`);
      const auth =
        /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/secretsmanager\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
          String(req.headers.authorization ?? ''),
        );
      if (!auth) return fail(400, 'IncompleteSignatureException', 'no SigV4 authorization for secretsmanager');
      accessKeyId = auth[1]!;
      const session = sessions.get(accessKeyId);
      if (!session)
        return fail(400, 'UnrecognizedClientException', `the security token included in the request is invalid (${accessKeyId})`);
      if (req.headers['x-amz-security-token'] !== session.credentials.sessionToken)
        return fail(400, 'UnrecognizedClientException', 'the session token does not belong to this access key');
      if ((await signature(req, body, auth[4]!.split(';'), session.credentials)) !== auth[5])
        return fail(400, 'InvalidSignatureException', 'the request signature we calculated does not match the signature you provided');
      secretId = String((JSON.parse(body) as { SecretId?: unknown }).SecretId ?? '');
      const arn = [...secrets.keys()].find((a) => a === secretId || a.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') === secretId);
      // AWS judges the request against the resource it names before it says whether the secret exists.
      const resource =
        arn ?? (secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${REGION}:000000000000:secret:${secretId}-??????`);
      if (!allowed(session.statements, 'secretsmanager:GetSecretValue', resource))
        return fail(
          400,
          'AccessDeniedException',
          `User: assumed-role session ${accessKeyId} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
        );
      if (!arn) return fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      answer(200, {
        ARN: arn,
        Name: arn.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, ''),
        SecretString: secrets.get(arn),
        VersionId: createHash('sha256').update(secrets.get(arn)!).digest('hex').slice(0, 32),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_764_547_200,
      });
      return undefined;
    })();
    requests.push({ accessKeyId, secretId, status: res.statusCode, ...(error ? { error } : {}) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put: (arn, value) => void secrets.set(arn, value),
    allow: (credentials, statements) => void sessions.set(credentials.accessKeyId, { credentials, statements }),
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function text(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

/** The signature the request should carry: the headers it says it signed, signed again with the session's keys. */
async function signature(req: IncomingMessage, body: string, signed: string[], credentials: SessionCredentials): Promise<string> {
  const headers: Record<string, string> = {};
  for (const h of signed) headers[h] = String(req.headers[h] ?? '');
  const amzDate = headers['x-amz-date'] ?? '';
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`,
  );
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const signer = new SignatureV4({ credentials, region: REGION, service: 'secretsmanager', sha256: NodeSha256 });
  const out = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    },
    { signingDate: date, signableHeaders: new Set(signed) },
  );
  return /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization))?.[1] ?? '';
}

/** SHA-256 and HMAC-SHA-256 for the signer, from node:crypto. */
class NodeSha256 {
  readonly #h;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.#h.update(typeof data === 'string' ? data : toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#h.digest());
  }
  reset() {}
}

const toBuffer = (d: string | Uint8Array | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof d === 'string'
    ? Buffer.from(d)
    : d instanceof ArrayBuffer
      ? Buffer.from(d)
      : Buffer.from((d as ArrayBufferView).buffer, (d as ArrayBufferView).byteOffset, (d as ArrayBufferView).byteLength);

/** IAM's evaluation for one action and resource: an explicit Deny wins, else some Allow must match. */
export function allowed(statements: Statement[], action: string, resource: string): boolean {
  const matches = (s: Statement) =>
    [s.Action].flat().some((a) => glob(a, action, true)) && [s.Resource].flat().some((r) => typeof r === 'string' && glob(r, resource));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && s.Condition === undefined && matches(s));
}

function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseInsensitive ? 'i' : '',
  );
  return re.test(value);
}
