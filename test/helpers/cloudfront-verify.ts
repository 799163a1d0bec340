import { verify } from 'node:crypto';

/**
 * What CloudFront checks on a signed URL with a canned policy, written from its developer guide
 * ("Create a signed URL using a canned policy"), since CloudFront itself cannot run here: the
 * policy is rebuilt from the URL without its signing parameters and the Expires time, and the
 * RSA-SHA1 signature (base64 with - _ ~ for + = /) must verify against the public key of the
 * Key-Pair-Id, before the expiry.
 */
export function cloudFrontAccepts(
  signedUrl: string,
  publicKeys: Record<string, string>,
  now: Date,
): { ok: boolean; why: string; expires: number } {
  const url = new URL(signedUrl);
  const expires = Number(url.searchParams.get('Expires'));
  const signature = url.searchParams.get('Signature');
  const keyPairId = url.searchParams.get('Key-Pair-Id');
  if (!expires || !signature || !keyPairId) return { ok: false, why: 'missing signing parameters', expires };
  const key = publicKeys[keyPairId];
  if (!key) return { ok: false, why: `unknown key pair ${keyPairId}`, expires };
  for (const p of ['Expires', 'Signature', 'Key-Pair-Id']) url.searchParams.delete(p);
  const resource = url.toString().replace(/\?$/, '');
  const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
  const bytes = Buffer.from(signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
  if (!verify('RSA-SHA1', Buffer.from(policy), key, bytes)) return { ok: false, why: 'signature does not match', expires };
  if (now.getTime() >= expires * 1000) return { ok: false, why: 'expired', expires };
  return { ok: true, why: 'valid', expires };
}
