import { ConfidentialClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { GraphAccessError } from '../core/errors.ts';
import type { GraphApi, GraphResponse } from '../core/ports.ts';

/**
 * Microsoft Graph for one tenant: an app-only token from Entra (MSAL's client credentials with a
 * certificate: MSAL signs the client assertion, we do not) and GETs with it. Both hosts can be
 * overridden (sovereign clouds; the test stand-in), and `ca` adds a CA to trust for them.
 */
export interface GraphClientOptions {
  /** The customer's Entra tenant (id or domain). */
  entraTenant: string;
  clientId: string;
  /** The app's certificate and its private key, PEM (one file may hold both). */
  certificatePem: string;
  privateKeyPem: string;
  graphUrl?: string;
  authorityUrl?: string;
  ca?: string;
  timeoutMs?: number;
}

export const GRAPH_URL = 'https://graph.microsoft.com';
export const AUTHORITY_URL = 'https://login.microsoftonline.com';

export function createGraphClient(options: GraphClientOptions): GraphApi & { token(): Promise<string> } {
  const graphUrl = (options.graphUrl ?? GRAPH_URL).replace(/\/$/, '');
  const authorityBase = (options.authorityUrl ?? AUTHORITY_URL).replace(/\/$/, '');
  const network = httpsNetwork(options.ca, options.timeoutMs ?? 30_000);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(options.certificatePem);
  } catch (err) {
    throw new GraphAccessError('COLLECT_CERTIFICATE', `the certificate is not a PEM X.509 certificate: ${(err as Error).message}`);
  }
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${authorityBase}/${options.entraTenant}`,
      // The authority is the one given: no instance discovery against the public cloud.
      knownAuthorities: [new URL(authorityBase).host],
      clientCertificate: {
        thumbprintSha256: createHash('sha256').update(cert.raw).digest('hex'),
        privateKey: options.privateKeyPem,
        x5c: options.certificatePem,
      },
    },
    system: { networkClient: network },
  });
  const token = async (): Promise<string> => {
    try {
      const r = await app.acquireTokenByClientCredential({ scopes: [`${graphUrl}/.default`] });
      if (!r?.accessToken) throw new Error('no access token in the answer');
      return r.accessToken;
    } catch (err) {
      throw signInError(err as Error, options);
    }
  };
  return {
    token,
    async get(pathOrUrl) {
      const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${graphUrl}${pathOrUrl}`;
      const r = await network.sendGetRequestAsync<string>(
        url,
        { headers: { authorization: `Bearer ${await token()}`, accept: 'application/json' } },
        options.timeoutMs ?? 60_000,
        true,
      );
      return { status: r.status, retryAfterMs: retryAfter(r.headers['retry-after']), body: r.body } satisfies GraphResponse;
    },
  };
}

/** The certificate and its private key from one PEM text (the CLI's file, the deployed secret); null if either is missing. */
export function certificateAndKey(pem: string): { certificatePem: string; privateKeyPem: string } | null {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  return cert && key ? { certificatePem: cert, privateKeyPem: key } : null;
}

/** Retry-After in seconds (what Graph sends), or an HTTP date. */
function retryAfter(v: string | undefined): number | null {
  if (!v) return null;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

/** What Entra's refusal means for an admin (AADSTS codes). */
function signInError(err: Error, options: GraphClientOptions): GraphAccessError {
  const text = `${(err as { errorCode?: string }).errorCode ?? ''} ${err.message}`;
  const tenant = options.entraTenant;
  if (/AADSTS700027|AADSTS700024|AADSTS50027|AADSTS700021|invalid_client/.test(text))
    return new GraphAccessError(
      'COLLECT_CERTIFICATE',
      `Entra refused the app's certificate for tenant ${tenant}: upload this certificate to the app registration (Certificates & secrets) or use the one registered there; check the system clock. Entra said: ${err.message}`,
    );
  if (/AADSTS700016|AADSTS65001|unauthorized_client/.test(text))
    return new GraphAccessError(
      'COLLECT_CONSENT',
      `the app ${options.clientId} is not in tenant ${tenant}: an admin of that tenant has to consent to it (for a multi-tenant app: https://login.microsoftonline.com/${tenant}/adminconsent?client_id=${options.clientId}). Entra said: ${err.message}`,
    );
  if (/AADSTS90002|AADSTS900023/.test(text))
    return new GraphAccessError(
      'COLLECT_SIGN_IN',
      `there is no Entra tenant "${tenant}": check its id or domain. Entra said: ${err.message}`,
    );
  return new GraphAccessError('COLLECT_SIGN_IN', `could not sign in to tenant ${tenant}: ${err.message}`, { cause: err });
}

/** MSAL's network, and ours: node:https with an optional extra CA. */
function httpsNetwork(
  ca: string | undefined,
  defaultTimeout: number,
): INetworkModule & {
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number, raw?: boolean): Promise<NetworkResponse<T>>;
} {
  const send = <T>(method: 'GET' | 'POST', url: string, o: NetworkRequestOptions = {}, timeout = defaultTimeout, raw = false) =>
    new Promise<NetworkResponse<T>>((resolve, reject) => {
      const req = request(url, { method, headers: o.headers ?? {}, ...(ca ? { ca } : {}), timeout }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          let parsed: unknown = body;
          // MSAL wants JSON bodies parsed; the collector keeps Graph's page bytes as they came.
          if (!raw) {
            try {
              parsed = JSON.parse(body);
            } catch {
              parsed = {};
            }
          }
          resolve({ status: res.statusCode ?? 0, headers, body: parsed as T });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${new URL(url).host} within ${timeout} ms`)));
      req.on('error', reject);
      if (o.body) req.write(o.body);
      req.end();
    });
  return {
    sendGetRequestAsync: <T>(url: string, o?: NetworkRequestOptions, timeout?: number, raw?: boolean) =>
      send<T>('GET', url, o, timeout, raw),
    sendPostRequestAsync: <T>(url: string, o?: NetworkRequestOptions) => send<T>('POST', url, o),
  };
}
