// An HTTP proxy that holds every request `lag` ms before passing it on: a local S3 server (Ceph
// RGW on loopback answers in about a millisecond) with the round-trip time of a real region's.
// GET /__requests answers how many requests it passed on since the last time it was asked.
//   node bench/peers/lag-proxy.mjs <port> <target URL> [lag ms, default 30]
import { createServer, request } from 'node:http';

const [port, target, lag] = [Number(process.argv[2]), new URL(process.argv[3]), Number(process.argv[4] ?? 30)];
let passed = 0;
createServer((req, res) => {
  if (req.url === '/__requests') {
    res.end(JSON.stringify({ n: passed }));
    passed = 0;
    return;
  }
  passed++;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () =>
    setTimeout(() => {
      const headers = req.headers;
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    }, lag),
  );
}).listen(port, '127.0.0.1', () => process.stdout.write(`lag proxy on ${port}\n`));
