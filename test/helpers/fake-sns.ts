import { createServer, type Server } from 'node:http';

export type SnsReply = 'ok' | 'throttle' | 'invalid';

/**
 * A loopback server that speaks SNS's Query protocol just enough for Publish, answering from a
 * script (then 'ok'), so the SDK's own retry logic runs against it (F18 in docs/guarantees.md).
 * Only used where no local SNS can: none implements MessageStructure json faithfully.
 */
export async function startFakeSns(
  script: SnsReply[],
): Promise<{ endpoint: string; requests: Array<Record<string, string>>; accepted: Array<Record<string, string>>; close(): Promise<void> }> {
  const requests: Array<Record<string, string>> = [];
  const accepted: Array<Record<string, string>> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push(form);
      const reply = script.shift() ?? 'ok';
      if (reply === 'ok') {
        accepted.push(form);
        res.writeHead(200, { 'content-type': 'text/xml' });
        return void res.end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m${accepted.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r${requests.length}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      }
      const [code, message] = reply === 'throttle' ? ['Throttling', 'Rate exceeded'] : ['InvalidParameter', 'Invalid parameter: Subject'];
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r${requests.length}</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    accepted,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
